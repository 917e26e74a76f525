"""What a cache store must do: keep small values by key for a while."""

from __future__ import annotations

from typing import Protocol


class CacheStore(Protocol):
    async def get(self, key: str) -> bytes | None:
        """The value, or None when absent or expired. Never raises for a missing key."""
        ...

    async def set(self, key: str, value: bytes, ttl: int | None = None) -> None:
        """Keep `value` for `ttl` seconds (the store's default when None)."""
        ...

    async def delete(self, key: str) -> None:
        """Forget `key`; deleting a missing key is not an error."""
        ...
