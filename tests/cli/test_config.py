"""Configuration: the seed's files, validation messages, environment overrides, the CLI."""

from __future__ import annotations

import json

import pytest
import yaml

from fitter.config import (
    ConfigError,
    FsStorage,
    MemoryCacheConfig,
    RedisCacheConfig,
    S3Storage,
    build_config,
    load_config,
    unknown_variables,
)
from support import services
from support.command import fitter
from support.servers import ROOT

EXAMPLES = ROOT / "examples"


def test_the_seed_fs_only_example_uses_one_folder_for_source_and_store():
    config = load_config(EXAMPLES / "fs-only.yaml", environ={})
    assert config.port == 6001
    assert isinstance(config.storage.store, FsStorage)
    assert config.storage.source == config.storage.store
    assert config.storage.store.location == "/users/mingrammer/desktop"
    assert isinstance(config.cache_store, MemoryCacheConfig)


@pytest.mark.parametrize("name", ["redis-fs-s3.yaml", "redis-fs-s3-options.yaml"])
def test_the_seed_redis_and_s3_examples_validate(name):
    config = load_config(EXAMPLES / name, environ={})
    assert isinstance(config.cache_store, RedisCacheConfig)
    assert (config.cache_store.host, config.cache_store.port, config.cache_store.db) == (
        "localhost",
        6379,
        0,
    )
    assert isinstance(config.storage.source, FsStorage)
    store = config.storage.store
    assert isinstance(store, S3Storage)
    assert (store.bucket_name, store.bucket_region, store.location) == (
        "my-storage",
        "ap-northeast-2",
        "/store/image/upload",
    )
    assert store.aws_secret_access_key.get_secret_value() == "<your-aws-secret-access-key>"
    assert config.options.enable_upload is name.endswith("options.yaml")


def problems_of(data: dict, environ: dict | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        build_config(data, environ or {})
    return caught.value.problems


STORE = {"store": {"type": "fs", "location": "x"}}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"storage": {"store": {"type": "gcs"}}},
            ["storage.store.type: must be one of fs, s3 (got 'gcs')"],
        ),
        ({"storage": {"store": {"location": "x"}}}, ["storage.store.type: is required"]),
        ({"storage": {"store": {"type": "fs"}}}, ["storage.store.location: is required"]),
        ({}, ["storage: is required"]),
        ({"storage": STORE, "port": "abc"}, ["port: must be a whole number (got 'abc')"]),
        ({"storage": STORE, "prot": 1}, ["prot: is not a known setting"]),
        (
            {"storage": STORE, "cache_store": {"type": "memcached"}},
            ["cache_store.type: must be one of in-memory, redis (got 'memcached')"],
        ),
        (
            {"storage": STORE, "options": {"enable_upload": "maybe"}},
            ["options.enable_upload: must be true or false (got 'maybe')"],
        ),
        ({"storage": {"store": {"type": "s3"}}}, ["storage.store.bucket_name: is required"]),
    ],
)
def test_each_problem_names_its_key_path_and_what_was_expected(data, expected):
    assert problems_of(data) == expected


def test_every_problem_is_reported_at_once():
    found = problems_of({"port": "x", "storage": {"store": {"type": "fs"}}, "extra": 1})
    assert len(found) == 3


def test_environment_overrides_the_file():
    environ = {
        "FITTER_PORT": "7001",
        "FITTER_STORAGE__STORE__LOCATION": "/srv/variants",
        "FITTER_OPTIONS__SHARD": "2",
        "FITTER_OPTIONS__ALLOWED_FORMATS": '["webp", "jpeg"]',
        "FITTER_CACHE_STORE__TTL": "60",
    }
    config = build_config({"storage": {"store": {"type": "fs", "location": "x"}}}, environ)
    assert config.port == 7001
    assert config.storage.store.location == "/srv/variants"
    assert config.options.shard == 2
    assert config.options.allowed_formats == ["webp", "jpeg"]
    assert config.cache_store.ttl == 60


def test_unknown_environment_variables_are_named_not_applied():
    environ = {
        "FITTER_PROT": "1",
        "FITTER_OPTIONS__SHRAD": "2",
        "FITTER_PORT": "1",
        "OTHER": "x",
        "FITTER_CONFIG": "/etc/fitter.yaml",
    }
    assert unknown_variables(environ) == ["FITTER_OPTIONS__SHRAD", "FITTER_PROT"]
    assert build_config({"storage": STORE}, environ).port == 1


def test_a_bad_environment_value_is_reported_like_a_file_value():
    assert problems_of({"storage": STORE}, {"FITTER_PORT": "many"}) == [
        "port: must be a whole number (got 'many')"
    ]


def test_config_check_prints_the_resolved_configuration_with_secrets_masked(tmp_path):
    """Run as a user runs it (`python -m fitter`): stdout is the JSON alone."""
    done = services.run_fitter(
        "config", "check", "--config", str(EXAMPLES / "redis-fs-s3.yaml"), cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    resolved = json.loads(done.stdout)
    assert resolved["storage"]["store"]["bucket_name"] == "my-storage"
    assert resolved["storage"]["store"]["aws_secret_access_key"] == "**********"
    assert "<your-aws-secret-access-key>" not in done.stdout
    assert resolved["limits"]["max_width"] > 0


def test_config_check_hides_every_password_in_a_url(tmp_path):
    """A broker's or a Redis URL's password is a secret too, wherever it is written."""
    config = tmp_path / "fitter.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "storage": {"store": {"type": "fs", "location": "st"}},
                "cache_store": {"type": "redis", "url": "redis://:cache-pw@cache:6379/0"},
                "tasks": {"broker_url": "redis://user:broker-pw@queue:6379/1?password=again"},
            }
        )
    )
    done = fitter("config", "check", "--config", str(config))
    assert done.exit_code == 0, done.stderr
    for secret in ("broker-pw", "cache-pw", "again"):
        assert secret not in done.stdout
    resolved = json.loads(done.stdout)
    assert resolved["tasks"]["broker_url"] == (
        "redis://user:**********@queue:6379/1?password=**********"
    )
    assert resolved["cache_store"]["url"] == "**********"


def test_config_check_lists_every_error_and_fails(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"port": "x", "storage": {"store": {"type": "gcs"}}}))
    done = fitter("config", "check", "--config", str(bad))
    assert done.exit_code == 1
    assert "storage.store.type: must be one of fs, s3 (got 'gcs')" in done.stderr
    assert "port: must be a whole number (got 'x')" in done.stderr
    assert done.stdout == ""


def test_config_check_without_a_file_shows_the_embedded_default():
    done = fitter("config", "check")
    assert done.exit_code == 0, done.stderr
    resolved = json.loads(done.stdout)
    assert resolved["port"] == 6001
    assert resolved["storage"]["source"] == {"type": "fs", "location": "images", "base_url": None}
    assert resolved["storage"]["store"]["location"] == "store"
    assert resolved["cache_store"]["type"] == "in-memory"


def test_config_check_reads_fitter_yaml_in_the_working_directory(tmp_path):
    (tmp_path / "fitter.yaml").write_text("port: 7002\nstorage: {store: {type: fs, location: v}}\n")
    done = fitter("config", "check")
    assert json.loads(done.stdout)["port"] == 7002


@pytest.mark.parametrize("text", ["port: [unclosed", "- a list\n- not a mapping\n"])
def test_a_file_that_is_not_a_mapping_is_an_error(tmp_path, text):
    path = tmp_path / "fitter.yaml"
    path.write_text(text)
    done = fitter("config", "check", "--config", str(path))
    assert done.exit_code == 1
    assert str(path) in done.stderr


BAD_PRESETS = {
    "storage": {"store": {"type": "fs", "location": "v"}},
    "options": {"presets": {"small": {"bogus": 1, "width": "wide", "w": 10}}},
}


def assert_bad_presets_reported(stderr: str) -> None:
    assert "options.presets.small.bogus: is not a parameter a preset can set" in stderr
    assert "options.presets.small.width: must be a whole number" in stderr
    assert "options.presets.small.w:" not in stderr


def test_presets_are_checked_by_config_check(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(BAD_PRESETS))
    done = fitter("config", "check", "--config", str(bad))
    assert done.exit_code == 1
    assert_bad_presets_reported(done.stderr)


def test_presets_are_checked_before_serving(tmp_path):
    """A real process: `serve` sets up the process's logging and, were the check missing,
    would go on serving (a bounded wait, then a failure, instead of a hang)."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(BAD_PRESETS))
    done = services.run_fitter("serve", "--config", str(bad), cwd=tmp_path, timeout=60)
    assert done.returncode == 1
    assert_bad_presets_reported(done.stderr)


def test_a_thumbor_section_is_accepted(tmp_path):
    path = tmp_path / "thumbor.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "storage": {"store": {"type": "fs", "location": "v"}},
                "thumbor": {"security_key": "MY_SECURE_KEY"},
            }
        )
    )
    done = fitter("config", "check", "--config", str(path))
    assert done.exit_code == 0, done.stderr
    # The key is a secret: checked, never printed.
    assert "MY_SECURE_KEY" not in done.stdout + done.stderr
    assert "security_key" in done.stdout
