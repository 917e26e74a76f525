"""`fitter backup`: a folder's images as web variants (and originals) in an S3 bucket.

Objects are named `<prefix>/variants/<relative path>.<ext>` and, with `--originals`,
`<prefix>/originals/<relative path>`.

Each image goes through the server's service (`tools.local`), whose store is the bucket.
Resumable and never partial: every object is one PUT of the whole body, with its MD5 in
Content-MD5, which S3 makes atomic (an object exists whole or not at all; a PUT killed
half-way leaves nothing and a body that arrives damaged is refused). Before a PUT, a HEAD
compares the object's size and ETag with the local bytes: a single-part upload's ETag is
its MD5, so an object already there with the same content is left alone. A multipart
object (ETag with a `-`) never matches and is replaced by a single PUT.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import anyio.to_thread
from rich.console import Console
from rich.table import Table

from fitter.config import Config, S3Storage
from fitter.errors import NotFound
from fitter.plan import Plan
from fitter.service import Service
from fitter.storage.s3 import STORED, Bucket, S3Store
from fitter.tools.files import Input, size_of, walk
from fitter.tools.local import local_service, locate_file, media_type, reason, run_all

Status = Literal["uploaded", "present", "failed"]
LABELS = {"uploaded": "uploaded", "present": "already there", "failed": "failed"}


class TargetError(ValueError):
    """`--to` is not `s3://bucket[/prefix]`."""


def parse_target(url: str) -> tuple[str, str]:
    """`s3://bucket/some/prefix` → (`bucket`, `some/prefix`)."""
    if not url.startswith("s3://"):
        raise TargetError(f"--to must look like s3://bucket/prefix (got {url!r})")
    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    if not bucket:
        raise TargetError(f"--to names no bucket (got {url!r})")
    return bucket, prefix.strip("/")


def s3_section(config: Config, bucket: str, prefix: str) -> S3Storage:
    """The configuration's S3 store (its endpoint, keys, region) pointed at `bucket` and
    `prefix`; without one, boto3's usual chain (environment, profile, role) decides."""
    store = config.storage.store
    if isinstance(store, S3Storage):
        return store.model_copy(update={"bucket_name": bucket, "location": prefix})
    return S3Storage(type="s3", bucket_name=bucket, location=prefix)


def open_bucket(section: S3Storage) -> Bucket:
    """The bucket, checked to exist and answer (FitterError if not). Longer timeouts than
    the server's: a large original may take a while to send."""
    bucket = Bucket(section, connect_timeout=5.0, read_timeout=60.0, attempts=3)
    bucket.translated(
        lambda: bucket.client.head_bucket(Bucket=bucket.name), ("no such bucket", "to")
    )
    return bucket


@dataclass(frozen=True)
class Outcome:
    key: str
    status: Status
    reason: str = ""


class Uploader:
    """Backs up one source file; many may run at once (one boto3 client, in threads)."""

    def __init__(self, service: Service, bucket: Bucket, plan: Plan, originals: bool) -> None:
        self.service = service
        self.bucket = bucket
        self.plan = plan
        self.originals = originals

    async def __call__(self, item: Input) -> tuple[list[Outcome], int]:
        outcomes = []
        name = PurePosixPath("variants") / item.relative
        fmt = None
        try:
            target = await locate_file(self.service, self.plan, item.path)
            fmt = target.source.info.format
            name = PurePosixPath("variants") / item.relative.with_suffix(
                "." + target.output.format.extension
            )
            rendered = await self.service.render(target)
            outcomes.append(
                await self.put(str(name), rendered.data, target.output.format.media_type)
            )
        except Exception as error:  # one bad file never stops the rest
            outcomes.append(Outcome(self.bucket.key(str(name)), "failed", reason(error)))
        size = 0
        if self.originals:
            name = PurePosixPath("originals") / item.relative
            try:
                original = await anyio.to_thread.run_sync(item.path.read_bytes)
                size = len(original)
                kind = media_type(fmt) if fmt else "application/octet-stream"
                outcomes.append(await self.put(str(name), original, kind))
            except Exception as error:  # the variant failing does not stop it
                outcomes.append(Outcome(self.bucket.key(str(name)), "failed", reason(error)))
        return outcomes, size or size_of(item.path)

    async def put(self, name: str, data: bytes, content_type: str) -> Outcome:
        """Save `data` through the service's store (one PUT, with its MD5) unless the
        object already holds exactly these bytes."""
        key = self.bucket.key(name)
        md5 = await anyio.to_thread.run_sync(lambda: hashlib.md5(data).hexdigest())
        if await self.holds(key, len(data), md5):
            return Outcome(key, "present")
        await self.service.store.save(name, data, content_type)
        return Outcome(key, "uploaded")

    async def holds(self, key: str, size: int, md5: str) -> bool:
        try:
            head: dict[str, Any] = await self.bucket.run(
                lambda: self.bucket.client.head_object(Bucket=self.bucket.name, Key=key), STORED
            )
        except NotFound:
            return False
        return int(head["ContentLength"]) == size and str(head["ETag"]).strip('"') == md5


def backup(
    config: Config,
    source: str,
    bucket: Bucket,
    plan: Plan,
    originals: bool,
    jobs: int,
    console: Console,
) -> list[Outcome]:
    """Every image below `source` backed up, in a stable order."""
    inputs = walk(Path(source))

    async def run() -> list[list[Outcome]]:
        # The server's service over the local files, its store the bucket.
        cache_control = f"public, max-age={config.options.max_age}"
        service = local_service(config, S3Store(bucket, cache_control), jobs)
        try:
            uploader = Uploader(service, bucket, plan, originals)
            return await run_all(inputs, uploader, jobs, console, "backing up")
        finally:
            await service.close()

    return [outcome for batch in asyncio.run(run()) for outcome in batch]


def summary(outcomes: list[Outcome]) -> Table:
    table = Table(title="fitter backup")
    table.add_column("result")
    table.add_column("objects", justify="right")
    for status, label in LABELS.items():
        table.add_row(label, str(sum(o.status == status for o in outcomes)))
    return table
