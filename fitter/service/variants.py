"""Where a variant may already be: the cache store's record of it, then the store.

A record holds the variant's description (and, for small ones, its bytes); it is
written after the bytes, so a record never promises what is not there, and a record
whose stored object has gone is forgotten rather than handed out.
"""

from __future__ import annotations

from fitter import engine
from fitter.cache import CacheStore
from fitter.errors import NotAnImage, NotFound
from fitter.models import Variant
from fitter.service.pool import ImagePool
from fitter.service.target import Found, Target
from fitter.storage import Store

RECORD = "v:"  # the variant's description
BYTES = "d:"  # its bytes, when at most `inline_bytes`


class Variants:
    def __init__(self, cache: CacheStore, store: Store, pool: ImagePool, inline_bytes: int) -> None:
        self.cache = cache
        self.store = store
        self.pool = pool
        self.inline_bytes = inline_bytes

    async def cached(self, target: Target, with_data: bool = True) -> Found | None:
        """The variant if the cache store knows it; its bytes (with `with_data`) from the
        cache store or the store. Without them, the stored object is checked to exist."""
        record = await self.cache.get(RECORD + target.key)
        if record is None:
            return None
        variant = Variant.model_validate_json(record)
        data = await self.cache.get(BYTES + target.key) if with_data else None
        try:
            if with_data and data is None:
                data = await self.store.read(target.name)
            elif not with_data and not await self.store.exists(target.name):
                raise NotFound("no such stored image", "name")
        except NotFound:
            # The cache pointed at a missing object: forget it, never hand out a broken
            # URL, and let the caller make the variant again.
            await self.cache.delete(RECORD + target.key)
            await self.cache.delete(BYTES + target.key)
            return None
        return Found(variant, "cache", data)

    async def stored(self, target: Target) -> Found | None:
        """The variant from the store (then remembered in the cache store), else None."""
        try:
            data = await self.store.read(target.name)
            header = await self.pool.run(engine.probe, data, len(data))
        except (NotFound, NotAnImage):
            # Missing, or not a whole image (say, a disk that failed mid-write): make it again.
            return None
        variant = target.variant(header.width, header.height, len(data))
        await self.remember(variant, data)
        return Found(variant, "store", data)

    async def remember(self, variant: Variant, data: bytes) -> None:
        # Bytes first: a record is never there without what it promises.
        if len(data) <= self.inline_bytes:
            await self.cache.set(BYTES + variant.key, data)
        await self.cache.set(RECORD + variant.key, variant.model_dump_json().encode())
