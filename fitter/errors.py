"""One error tree for the whole server.

Every failure a user can cause or see is a `FitterError` carrying its HTTP status and a
public message; backends translate their libraries' exceptions into these at the
boundary, and one handler in `fitter.server` turns them into JSON answers. Messages
never contain server paths.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request: the parameter it concerns and why."""

    param: str | None
    message: str

    def as_dict(self) -> dict[str, str | None]:
        return {"param": self.param, "message": self.message}


class FitterError(Exception):
    status: int = 500

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.problems = [Problem(param, message)]

    @property
    def headers(self) -> dict[str, str]:
        return {}


class InvalidRequest(FitterError):
    """400: the request itself is wrong; carries every problem found at once."""

    status = 400

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems

    @classmethod
    def one(cls, param: str | None, message: str) -> InvalidRequest:
        return cls([Problem(param, message)])


class Forbidden(FitterError):
    status = 403


class NotFound(FitterError):
    status = 404


class Conflict(FitterError):
    """409: the request would overwrite something it may not."""

    status = 409


class TooLarge(FitterError):
    status = 413


class NotAnImage(FitterError):
    status = 415


class OverLimits(FitterError):
    status = 422


class BadGateway(FitterError):
    """502: a remote source answered with an error, or could not be reached."""

    status = 502


class GatewayTimeout(FitterError):
    """504: a remote source took too long."""

    status = 504


class Unavailable(FitterError):
    status = 503

    def __init__(self, message: str, retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}
