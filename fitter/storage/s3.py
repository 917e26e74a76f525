"""An S3 bucket (AWS or any S3-compatible server) as source and store.

boto3 is synchronous: every call that touches the network runs in a worker thread, never on
the event loop. Each backend object owns one boto3 client (thread-safe), made once with short
timeouts and few retries, so an outage answers 503 in seconds instead of hanging a request.

botocore's exceptions are translated here, at the boundary: a missing object is `NotFound`;
an unreachable, failing or refusing server is `Unavailable` (503 with Retry-After). Refusals
are the operator's misconfiguration, never the client's fault. Messages name neither the
bucket nor the credentials.

The credentials need `s3:ListBucket` on the bucket besides `s3:GetObject` (and `s3:PutObject`
for a store): without it, S3 answers 403 instead of 404 for a missing object, which reads as
"refused" here.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

import anyio.to_thread
import boto3.session
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from fitter.config import S3Storage
from fitter.errors import NotFound, Unavailable
from fitter.storage.base import SourceStat, looks_like_image

log = logging.getLogger(__name__)

T = TypeVar("T")
# What a missing object raises: the public message and the parameter it concerns.
Missing = tuple[str, str]
SOURCE: Missing = ("no such source image", "path")
STORED: Missing = ("no such stored image", "name")

OUTAGE_RETRY_AFTER = 5
# A refusal or a missing bucket is fixed by an operator, not by retrying in a moment.
MISCONFIGURED_RETRY_AFTER = 60

MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound"})
REFUSED_CODES = frozenset(
    {
        "403",
        "AccessDenied",
        "AllAccessDisabled",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "InvalidToken",
        "ExpiredToken",
        "TokenRefreshRequired",
    }
)


def object_key(prefix: str, name: str) -> str:
    """`name` under the configured location: `/store/up/` and `a/b.jpg` give `store/up/a/b.jpg`."""
    prefix = prefix.strip("/")
    return f"{prefix}/{name}" if prefix else name


class Bucket:
    """One bucket, one client, one key prefix; runs calls in threads and translates errors."""

    def __init__(
        self,
        section: S3Storage,
        *,
        connect_timeout: float = 2.0,
        read_timeout: float = 5.0,
        attempts: int = 2,
    ) -> None:
        self.name = section.bucket_name
        self.prefix = section.location.strip("/")
        key_id, secret = section.aws_access_key_id, section.aws_secret_access_key
        # Only what the file gives: otherwise boto3's usual chain (environment, profile,
        # instance or task role) finds them.
        credentials: dict[str, str] = {}
        if key_id is not None and secret is not None:
            credentials["aws_access_key_id"] = key_id.get_secret_value()
            credentials["aws_secret_access_key"] = secret.get_secret_value()
        config = BotoConfig(
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retries={"mode": "standard", "total_max_attempts": attempts},
            max_pool_connections=32,
            signature_version="s3v4",
            s3={"addressing_style": "path"} if section.path_style else None,
        )
        # A session of its own: boto3's default session is not safe to share between threads.
        self.client: Any = boto3.session.Session().client(
            "s3",
            endpoint_url=section.endpoint_url,
            region_name=section.bucket_region,
            config=config,
            **credentials,
        )

    def key(self, name: str) -> str:
        return object_key(self.prefix, name)

    async def head(self, name: str, missing: Missing) -> dict[str, Any]:
        return await self.run(
            lambda: self.client.head_object(Bucket=self.name, Key=self.key(name)), missing
        )

    async def get(self, name: str, missing: Missing, length: int | None = None) -> bytes:
        """The object's bytes, or only its first `length` (a ranged GET; an empty object,
        which S3 refuses any range of, gives none)."""
        ranged = {} if length is None else {"Range": f"bytes=0-{max(length, 1) - 1}"}

        def get() -> bytes:
            try:
                answer = self.client.get_object(Bucket=self.name, Key=self.key(name), **ranged)
            except ClientError as error:
                if ranged and range_refused(error):
                    return b""
                raise
            with answer["Body"] as body:
                data: bytes = body.read()
                return data

        return await self.run(get, missing)

    async def put(self, name: str, data: bytes, media_type: str, cache_control: str) -> None:
        """One PUT of the whole object with its MD5 in Content-MD5: S3 refuses a body that
        arrives damaged, and keeps the whole object or none of it."""

        def put() -> None:
            digest = base64.b64encode(hashlib.md5(data).digest()).decode()
            self.client.put_object(
                Bucket=self.name,
                Key=self.key(name),
                Body=data,
                ContentType=media_type,
                CacheControl=cache_control,
                ContentMD5=digest,
            )

        await self.run(put, STORED)

    def presign(self, name: str, seconds: int) -> str:
        """A GET URL valid `seconds`, signed locally (no request to the server)."""
        url = self.translated(
            lambda: self.client.generate_presigned_url(
                "get_object", Params={"Bucket": self.name, "Key": self.key(name)}, ExpiresIn=seconds
            ),
            STORED,
        )
        return str(url)

    async def run(self, work: Callable[[], T], missing: Missing) -> T:
        return await anyio.to_thread.run_sync(self.translated, work, missing)

    def translated(self, work: Callable[[], T], missing: Missing) -> T:
        try:
            return work()
        except ClientError as error:
            raise translate(error, missing) from error
        except NoCredentialsError as error:
            log.warning("S3: no credentials in the configuration or the AWS chain")
            raise Unavailable(
                "the S3 storage has no credentials", retry_after=MISCONFIGURED_RETRY_AFTER
            ) from error
        except BotoCoreError as error:
            # Connection refused or reset, timeouts, a body cut short.
            log.warning("S3 unreachable: %s", type(error).__name__)
            raise Unavailable(
                "the S3 storage is unavailable", retry_after=OUTAGE_RETRY_AFTER
            ) from error


def range_refused(error: ClientError) -> bool:
    """S3's 416: no byte of the object is in the range asked (it is empty)."""
    code = str(error.response.get("Error", {}).get("Code", ""))
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    return code == "InvalidRange" or status == 416


def translate(error: ClientError, missing: Missing) -> NotFound | Unavailable:
    code = str(error.response.get("Error", {}).get("Code", ""))
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    if code in MISSING_CODES:
        return NotFound(*missing)
    if code in REFUSED_CODES or status == 403:
        log.warning("S3 refused access (%s): check the credentials and the bucket policy", code)
        return Unavailable(
            "the S3 storage refused access; check its credentials and permissions",
            retry_after=MISCONFIGURED_RETRY_AFTER,
        )
    if code == "NoSuchBucket":
        log.warning("S3: the configured bucket does not exist")
        return Unavailable(
            "the S3 storage's bucket does not exist", retry_after=MISCONFIGURED_RETRY_AFTER
        )
    # 5xx, throttling, and anything else the server did not expect of us.
    log.warning("S3 failed: %s (HTTP %s)", code, status)
    return Unavailable("the S3 storage is unavailable", retry_after=OUTAGE_RETRY_AFTER)


class S3Source:
    """Originals read from `<location>/<path>`; the ETag is the version."""

    def __init__(self, bucket: Bucket) -> None:
        self.bucket = bucket

    @classmethod
    def from_config(cls, section: S3Storage) -> S3Source:
        return cls(Bucket(section))

    async def stat(self, path: str) -> SourceStat:
        """HEAD of the object: its ETag (unquoted) and size. A replaced object has a new ETag."""
        head = await self.bucket.head(path, SOURCE)
        return SourceStat(version=str(head["ETag"]).strip('"'), size=int(head["ContentLength"]))

    async def head(self, path: str, length: int) -> bytes:
        """The object's first `length` bytes, in one ranged GET."""
        return await self.bucket.get(path, SOURCE, length)

    async def load(self, path: str) -> bytes:
        """The object's bytes, read whole (the service checks its size with `stat` first)."""
        return await self.bucket.get(path, SOURCE)

    async def list(self, prefix: str, limit: int, after: str | None) -> list[str]:
        """`list_objects_v2` under the location, page after page until `limit` images."""
        bucket = self.bucket
        base = bucket.key("")

        def walk() -> list[str]:
            found: list[str] = []
            request: dict[str, Any] = {"Bucket": bucket.name, "Prefix": bucket.key(prefix)}
            if after is not None:
                request["StartAfter"] = bucket.key(after)
            while len(found) < limit:
                answer = bucket.client.list_objects_v2(**request, MaxKeys=1000)
                for item in answer.get("Contents", []):
                    name = str(item["Key"])[len(base) :]
                    if looks_like_image(name) and len(found) < limit:
                        found.append(name)
                if not answer.get("IsTruncated"):
                    break
                request["ContinuationToken"] = answer["NextContinuationToken"]
            return found

        return await bucket.run(walk, SOURCE)


class S3Store:
    """Variants kept as objects under `<location>/`, written with their media type."""

    def __init__(
        self,
        bucket: Bucket,
        cache_control: str,
        base_url: str | None = None,
        presign_seconds: int = 3600,
    ) -> None:
        self.bucket = bucket
        self.cache_control = cache_control
        self.base_url = base_url.rstrip("/") + "/" if base_url else None
        self.presign_seconds = presign_seconds

    @classmethod
    def from_config(cls, section: S3Storage, cache_control: str) -> S3Store:
        """`cache_control` is the Cache-Control header every variant is stored with."""
        return cls(Bucket(section), cache_control, section.base_url, section.presign_seconds)

    async def exists(self, name: str) -> bool:
        try:
            await self.bucket.head(name, STORED)
        except NotFound:
            return False
        return True

    async def read(self, name: str) -> bytes:
        return await self.bucket.get(name, STORED)

    async def save(self, name: str, data: bytes, media_type: str) -> None:
        """One PUT of the whole object, which S3 makes atomic: readers see the previous object
        or the new one whole, never a part, and a PUT that fails leaves nothing behind.
        Saving again replaces the object."""
        await self.bucket.put(name, data, media_type, self.cache_control)

    async def url(self, name: str) -> str | None:
        """`base_url` + key; else a presigned GET valid `presign_seconds`; else None.

        Presigning is local arithmetic, but it may first refresh credentials from the AWS
        chain (an instance role, say), so it runs in a thread."""
        if self.base_url:
            return self.base_url + quote(self.bucket.key(name))
        if self.presign_seconds > 0:
            return await anyio.to_thread.run_sync(self.bucket.presign, name, self.presign_seconds)
        return None
