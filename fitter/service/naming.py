"""Names of variants in the store: `<prefix>/<shard folders>/<key>.<ext>`."""

from __future__ import annotations

import re

from fitter.plan import ImageFormat

VARIANT_NAME = re.compile(r"([0-9a-f]{2}/){0,8}([\w.-]*-)?[0-9a-f]{32}\.(jpg|png|webp|avif|gif)")


class Naming:
    """`prefix` is the folder of every variant; `shard` levels of two-character folders
    taken from the key spread a large store; without `enable_hash` the name starts with
    the source's file name."""

    def __init__(self, prefix: str = "", shard: int = 0, enable_hash: bool = True) -> None:
        self.prefix = prefix.strip("/")
        self.shard = shard
        self.enable_hash = enable_hash

    def name(self, key: str, path: str, fmt: ImageFormat) -> str:
        shards = [key[2 * i : 2 * i + 2] for i in range(self.shard)]
        # The source's file name, made safe: one segment, no slash, no leading dot.
        readable = re.sub(r"[^\w.-]+", "_", path.rsplit("/", 1)[-1]).rsplit(".", 1)[0].lstrip(".")
        stem = key if self.enable_hash else f"{readable}-{key}"
        parts = [self.prefix, *shards, f"{stem}.{fmt.extension}"]
        return "/".join(p for p in parts if p)

    def is_variant(self, name: str) -> bool:
        """Whether `name` is one `name` could give: /store/ serves only those, never an
        original or anything else that shares the store's folder."""
        if self.prefix:
            if not name.startswith(self.prefix + "/"):
                return False
            name = name[len(self.prefix) + 1 :]
        return VARIANT_NAME.fullmatch(name) is not None
