"""What a cache store must do: keep small values by key for a while, and lock across processes."""

from __future__ import annotations

from typing import Protocol


class CacheStore(Protocol):
    failures: int
    """Operations that failed because the backend could not be reached, since start."""

    @property
    def available(self) -> bool:
        """False while the backend cannot be reached (requests are then served without it)."""
        ...

    async def get(self, key: str) -> bytes | None:
        """The value, or None when absent, expired or unreachable. Never raises."""
        ...

    async def set(self, key: str, value: bytes, ttl: int | None = None) -> None:
        """Keep `value` for `ttl` seconds (the store's default when None or 0). Never raises."""
        ...

    async def delete(self, key: str) -> None:
        """Forget `key`; deleting a missing key is not an error. Never raises."""
        ...


class Locks(Protocol):
    """Short locks shared by every process of a deployment, for single-flight generation."""

    async def acquire(self, name: str, seconds: float) -> str | None:
        """A token when the caller now holds `name`, None when another holder does.

        The lock expires after `seconds`, so a crashed holder never blocks longer. When the
        backend is unreachable the caller is let through (a token is returned): generating
        twice is better than not answering.
        """
        ...

    async def extend(self, name: str, token: str, seconds: float) -> None:
        """Keep holding `name` for `seconds` more, if it is still held with `token`."""
        ...

    async def release(self, name: str, token: str) -> None:
        """Release `name` if it is still held with `token`. Never raises."""
        ...
