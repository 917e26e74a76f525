"""`fitter backup`: a folder's images as web variants (and originals) in an S3 bucket.

Objects are named `<prefix>/variants/<relative path>.<ext>` and, with `--originals`,
`<prefix>/originals/<relative path>`.

Resumable and never partial: every object is one PUT of the whole body, with its MD5 in
Content-MD5, which S3 makes atomic (an object exists whole or not at all; a PUT killed
half-way leaves nothing and a body that arrives damaged is refused). Before a PUT, a HEAD
compares the object's size and ETag with the local bytes: a single-part upload's ETag is
its MD5, so an object already there with the same content is left alone. A multipart
object (ETag with a `-`) never matches and is replaced by a single PUT.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from rich.console import Console
from rich.table import Table

from fitter.config import Config, S3Storage
from fitter.errors import NotFound
from fitter.local import Input, Limits, media_type, prepare, reason, render, run_all, walk
from fitter.plan import Plan
from fitter.storage.s3 import STORED, Bucket

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
    """Backs up one source file; safe to call from many threads (one boto3 client)."""

    def __init__(self, bucket: Bucket, plan: Plan, limits: Limits, originals: bool) -> None:
        self.bucket = bucket
        self.plan = plan
        self.limits = limits
        self.originals = originals

    def __call__(self, item: Input) -> tuple[list[Outcome], int]:
        outcomes = []
        name = PurePosixPath("variants") / item.relative
        fmt = None
        try:
            prepared = prepare(item.path, self.plan, self.limits, item.relative.as_posix())
            fmt = prepared.info.format
            name = PurePosixPath("variants") / prepared.output_name(item.relative)
            data = render(prepared, self.limits)
            outcomes.append(self.put(str(name), data, prepared.output.format.media_type))
        except Exception as error:  # one bad file never stops the rest
            outcomes.append(Outcome(self.bucket.key(str(name)), "failed", reason(error)))
        size = 0
        if self.originals:
            name = PurePosixPath("originals") / item.relative
            try:
                original = item.path.read_bytes()
                size = len(original)
                kind = media_type(fmt) if fmt else "application/octet-stream"
                outcomes.append(self.put(str(name), original, kind))
            except Exception as error:  # the variant failing does not stop it
                outcomes.append(Outcome(self.bucket.key(str(name)), "failed", reason(error)))
        return outcomes, size or safe_size(item)

    def put(self, name: str, data: bytes, content_type: str) -> Outcome:
        """Upload `data` unless the object already holds exactly these bytes."""
        key = self.bucket.key(name)
        digest = hashlib.md5(data)
        if self.holds(key, len(data), digest.hexdigest()):
            return Outcome(key, "present")
        self.bucket.translated(
            lambda: self.bucket.client.put_object(
                Bucket=self.bucket.name,
                Key=key,
                Body=data,
                ContentType=content_type,
                ContentMD5=base64.b64encode(digest.digest()).decode(),
            ),
            STORED,
        )
        return Outcome(key, "uploaded")

    def holds(self, key: str, size: int, md5: str) -> bool:
        try:
            head: dict[str, Any] = self.bucket.translated(
                lambda: self.bucket.client.head_object(Bucket=self.bucket.name, Key=key), STORED
            )
        except NotFound:
            return False
        return int(head["ContentLength"]) == size and str(head["ETag"]).strip('"') == md5


def safe_size(item: Input) -> int:
    try:
        return item.path.stat().st_size
    except OSError:
        return 0


def backup(
    source: str,
    bucket: Bucket,
    plan: Plan,
    limits: Limits,
    originals: bool,
    jobs: int,
    console: Console,
) -> list[Outcome]:
    """Every image below `source` backed up, in a stable order."""
    inputs = walk(Path(source))
    batches = run_all(
        inputs, Uploader(bucket, plan, limits, originals), jobs, console, "backing up"
    )
    return [outcome for batch in batches for outcome in batch]


def summary(outcomes: list[Outcome]) -> Table:
    table = Table(title="fitter backup")
    table.add_column("result")
    table.add_column("objects", justify="right")
    for status, label in LABELS.items():
        table.add_row(label, str(sum(o.status == status for o in outcomes)))
    return table
