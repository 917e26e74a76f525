"""The configuration's sections, as typed models: each component gets its own section."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MemoryCacheConfig(Section):
    type: Literal["in-memory"] = "in-memory"
    max_entries: int = Field(10_000, ge=1)
    max_bytes: int = Field(256 * 1024 * 1024, ge=0)
    ttl: int = Field(24 * 3600, ge=1)
    inline_bytes: int = Field(256 * 1024, ge=0)


class RedisCacheConfig(Section):
    type: Literal["redis"]
    host: str = "localhost"
    port: int = 6379
    db: int = 0
    password: SecretStr | None = None
    url: SecretStr | None = None
    prefix: str = "fitter:"
    ttl: int = Field(24 * 3600, ge=1)
    inline_bytes: int = Field(64 * 1024, ge=0)
    timeout: float = Field(0.5, gt=0, description="seconds for a connection or a command")
    retry_seconds: float = Field(1.0, ge=0, description="how long to bypass Redis after a failure")
    lock_seconds: float = Field(30.0, gt=0, description="expiry of a cross-process generation lock")


CacheConfig = Annotated[MemoryCacheConfig | RedisCacheConfig, Field(discriminator="type")]


class FsStorage(Section):
    type: Literal["fs"]
    location: str
    base_url: str | None = None


class S3Storage(Section):
    type: Literal["s3"]
    bucket_name: str
    aws_access_key_id: SecretStr | None = None
    aws_secret_access_key: SecretStr | None = None
    bucket_region: str | None = None
    location: str = ""
    endpoint_url: str | None = None
    base_url: str | None = None
    path_style: bool = False
    presign_seconds: int = Field(3600, ge=0, description="lifetime of presigned URLs; 0: none")

    @model_validator(mode="after")
    def both_keys_or_neither(self) -> S3Storage:
        if (self.aws_access_key_id is None) != (self.aws_secret_access_key is None):
            raise ValueError(
                "give both aws_access_key_id and aws_secret_access_key, or neither to use "
                "the usual AWS chain"
            )
        return self


class HttpSettings(Section):
    """Originals fetched over http(s): which, how, and where they are kept once fetched."""

    allow: list[str] = []
    allow_ranges: list[str] = []
    connect_timeout: float = Field(3.0, gt=0)
    read_timeout: float = Field(10.0, gt=0)
    max_redirects: int = Field(3, ge=0)
    keep_in: Literal["store", "cache"] = "store"
    keep_seconds: int = Field(24 * 3600, ge=1)

    @field_validator("allow")
    @classmethod
    def prefixes_end_with_a_slash(cls, prefixes: list[str]) -> list[str]:
        for prefix in prefixes:
            if not prefix.startswith(("http://", "https://")) or not prefix.endswith("/"):
                raise ValueError(f"{prefix!r} must start with http:// or https:// and end with /")
        return prefixes

    @field_validator("allow_ranges")
    @classmethod
    def ranges_are_networks(cls, ranges: list[str]) -> list[str]:
        for value in ranges:
            try:
                ipaddress.ip_network(value, strict=False)
            except ValueError:
                raise ValueError(f"{value!r} is not an IP network such as 10.0.0.0/8") from None
        return ranges


class HttpStorage(HttpSettings):
    """http(s) as the main source: relative paths are read below the first `allow` prefix."""

    type: Literal["http"]
    allow: list[str] = Field(min_length=1)


class Sources(Section):
    """Extra sources beside `storage.source`: absolute http(s) URLs in `path`."""

    http: HttpSettings | None = None


StoreConfig = Annotated[FsStorage | S3Storage, Field(discriminator="type")]
SourceConfig = Annotated[FsStorage | S3Storage | HttpStorage, Field(discriminator="type")]


class StorageConfig(Section):
    source: SourceConfig | None = None
    store: StoreConfig

    @model_validator(mode="after")
    def source_defaults_to_store(self) -> StorageConfig:
        # The seed's behaviour: one storage for both when only `store` is given.
        if self.source is None:
            self.source = self.store
        return self

    @property
    def originals(self) -> FsStorage | S3Storage | HttpStorage:
        """Where the originals are: `source`, else the store."""
        return self.source or self.store


PresetValue = str | int | float | bool


FormatName = Literal["jpg", "jpeg", "png", "webp", "avif", "gif", "original", "auto"]


class Options(Section):
    enable_upload: bool = False
    upload_overwrite: bool = Field(False, description="an upload may replace an original")
    enable_hash: bool = True
    prefix: str = ""
    shard: int = Field(0, ge=0, le=8)
    allowed_sizes: list[Annotated[str, Field(pattern=r"^[0-9]{1,5}x[0-9]{1,5}$")]] = []
    allowed_formats: list[FormatName] = []
    default_format: FormatName = "original"
    presets: dict[str, dict[str, PresetValue]] = {}
    presets_only: bool = Field(False, description="native requests may say only path and preset")
    max_age: int = Field(24 * 3600, ge=0)
    source_ttl: float = Field(1.0, ge=0, description="seconds a source's version is trusted")
    console: bool = True

    @field_validator("prefix")
    @classmethod
    def prefix_stays_in_the_store(cls, prefix: str) -> str:
        parts = prefix.replace("\\", "/").split("/")
        if ".." in parts or any(ord(c) < 32 for c in prefix):
            raise ValueError(f"{prefix!r} must be a folder inside the store (no '..')")
        return prefix

    @property
    def sizes(self) -> frozenset[tuple[int, int]]:
        pairs = (size.split("x") for size in self.allowed_sizes)
        return frozenset((int(width), int(height)) for width, height in pairs)

    @property
    def formats(self) -> frozenset[str]:
        return frozenset("jpeg" if f == "jpg" else f for f in self.allowed_formats)


class Timeouts(Section):
    """Seconds each stage may take before the request gives up."""

    fetch: float = Field(20.0, gt=0, description="a remote original, all redirects included (504)")
    queue: float = Field(10.0, gt=0, description="waiting for a free image slot (503)")
    processing: float = Field(30.0, gt=0, description="decoding, transforming, encoding (504)")


class Limits(Section):
    max_width: int = Field(8192, ge=1)
    max_height: int = Field(8192, ge=1)
    max_source_pixels: int = Field(100_000_000, ge=1)
    max_source_bytes: int = Field(64 * 1024 * 1024, ge=1)
    max_upload_bytes: int = Field(32 * 1024 * 1024, ge=1)
    concurrency: int = Field(0, ge=0, description="images processed at once; 0: one per core")
    svg: bool = Field(False, description="read SVG sources (rendered without external files)")
    timeouts: Timeouts = Timeouts()

    @property
    def box(self) -> tuple[int, int]:
        """The largest answer: `max_width` by `max_height`."""
        return self.max_width, self.max_height


class Security(Section):
    """Signed URLs: with `key` set, every image request needs a valid `sig` (fitter.signing)."""

    key: list[SecretStr] = Field([], description="HMAC keys; the first signs, any verifies")
    allow_unsigned: bool = Field(False, description="serve requests without sig (development)")

    @field_validator("key", mode="before")
    @classmethod
    def one_key_is_a_list_of_one(cls, value: Any) -> Any:
        # `key: s3cret` in YAML, or FITTER_SECURITY__KEY=s3cret.
        return [value] if isinstance(value, str) else value

    @field_validator("key")
    @classmethod
    def keys_are_not_empty(cls, keys: list[SecretStr]) -> list[SecretStr]:
        if any(not key.get_secret_value() for key in keys):
            raise ValueError("an empty key would let anyone sign URLs")
        return keys


class Tasks(Section):
    """Celery on a Redis broker for `/show`'s background work; no broker: in-process."""

    broker_url: str | None = Field(None, description="redis://host:6379/1; absent: in-process")
    visibility_timeout: float = Field(
        300.0, gt=0, description="seconds before a task whose worker died runs again"
    )
    queued_seconds: int = Field(
        120, ge=1, description="how long a queued variant is not sent again by /show"
    )
    failure_seconds: int = Field(300, ge=1, description="how long a failure waits for its /show")
    max_retries: int = Field(5, ge=0, description="retries with backoff while storage is down")


class Thumbor(Section):
    """thumbor's URL grammar (`/unsafe/300x200/smart/a.jpg`, `/<signature>/...`): on when
    a key is set or unsafe URLs are allowed; see docs/thumbor.md."""

    security_key: SecretStr | None = Field(None, description="thumbor's SECURITY_KEY")
    allow_unsafe: bool = Field(
        False, description="serve /unsafe/ URLs (thumbor's ALLOW_UNSAFE_URL)"
    )
    prefix: str = Field("", description="a path the thumbor URLs start with, such as /thumbor")

    @field_validator("security_key")
    @classmethod
    def key_is_not_empty(cls, key: SecretStr | None) -> SecretStr | None:
        if key is not None and not key.get_secret_value():
            raise ValueError("an empty key would let anyone sign URLs")
        return key

    @field_validator("prefix")
    @classmethod
    def prefix_is_a_plain_path(cls, prefix: str) -> str:
        parts = [p for p in prefix.split("/") if p]
        if any(p in (".", "..") for p in parts) or any(ord(c) < 33 or c in "%?#\\" for c in prefix):
            raise ValueError(f"{prefix!r} must be a plain path such as /thumbor")
        return "/".join(parts)

    @property
    def enabled(self) -> bool:
        return self.security_key is not None or self.allow_unsafe


class Iiif(Section):
    """The IIIF Image API at /iiif/3/ and /iiif/2/ (docs/iiif.md).

    Viewers build tile URLs themselves and cannot sign them, so unless it is switched on
    explicitly, IIIF is served only where native URLs need no signature either."""

    enabled: bool | None = Field(
        None, description="serve /iiif/ (default: only when signatures are not required)"
    )

    def serves(self, security: Security) -> bool:
        if self.enabled is not None:
            return self.enabled
        return not security.key or security.allow_unsigned


class Config(Section):
    host: str = "127.0.0.1"
    port: int = Field(6001, ge=0, le=65535)
    # In the seed's files, and so still accepted; nothing uses it (see security_warnings).
    secret_key: SecretStr | None = Field(None, description="unused: signatures use security.key")
    cache_store: CacheConfig = MemoryCacheConfig()
    storage: StorageConfig
    sources: Sources = Sources()
    options: Options = Options()
    limits: Limits = Limits()
    security: Security = Security()
    tasks: Tasks = Tasks()
    thumbor: Thumbor = Thumbor()
    iiif: Iiif = Iiif()

    @model_validator(mode="before")
    @classmethod
    def cache_store_defaults_to_memory(cls, data: Any) -> Any:
        # `cache_store: {ttl: 60}` (or FITTER_CACHE_STORE__TTL alone) tunes the default.
        cache = data.get("cache_store") if isinstance(data, dict) else None
        if isinstance(cache, dict) and "type" not in cache:
            data["cache_store"] = {"type": "in-memory", **cache}
        return data
