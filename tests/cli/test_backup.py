"""`fitter backup` end to end against the real S3 server (SeaweedFS).

The command runs in this process (typer's CliRunner) as a fresh process would see it: its
working directory a test's own folder, no FITTER_* or AWS_* variable (the configuration gives
the credentials), stderr not a terminal. Real `python -m fitter backup` processes remain where
the process matters: one killed half-way, and one finding its credentials in its environment.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import pyvips
import yaml

from support import services
from support.command import count, fitter
from support.waiting import settled


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FITTER_", "AWS_"))}
    return env | extra


@pytest.fixture
def s3(s3_server: services.S3Server) -> Any:
    """One client of the S3 server for the test (each new one costs tens of milliseconds)."""
    return s3_server.client()


@pytest.fixture
def bucket(s3: Any) -> str:
    name = f"backup-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def config(s3_server: services.S3Server, tmp_path: Path) -> Path:
    """A configuration whose store is the S3 server: backup takes its endpoint and keys."""
    store = {
        "type": "s3",
        "bucket_name": "not-this-one",
        "endpoint_url": s3_server.endpoint,
        "aws_access_key_id": s3_server.access_key,
        "aws_secret_access_key": s3_server.secret_key,
        "bucket_region": "us-east-1",
        "path_style": True,
    }
    path = tmp_path / "fitter.yaml"
    path.write_text(yaml.safe_dump({"storage": {"store": store}}))
    return path


@pytest.fixture
def src(tmp_path: Path, photos: Path) -> Path:
    folder = tmp_path / "src"
    names = sorted(p.name for p in photos.glob("*.jpg") if "5120" not in p.name)[:4]
    for name, place in zip(names, ["", "trips/", "trips/alps/", "trips/alps/"], strict=True):
        (folder / place).mkdir(parents=True, exist_ok=True)
        shutil.copy(photos / name, folder / place / name)
    (folder / "notes.txt").write_text("left alone: not named like an image\n")
    return folder


def objects(s3: Any, bucket: str) -> dict[str, dict]:
    listing = s3.list_objects_v2(Bucket=bucket)
    return {item["Key"]: item for item in listing.get("Contents", [])}


def relative_images(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.jpg"))


def test_variants_are_uploaded_once_with_their_keys_and_type(
    s3: Any, bucket: str, config: Path, src: Path, tmp_path: Path
) -> None:
    arguments = ["backup", str(src), "--to", f"s3://{bucket}/site/", "-c", str(config)]
    arguments += ["-w", "400", "--format", "webp"]
    first = fitter(*arguments)
    assert first.exit_code == 0, first.stderr
    names = relative_images(src)
    expected = {f"site/variants/{n.removesuffix('.jpg')}.webp" for n in names}
    assert set(objects(s3, bucket)) == expected
    assert (count(first.stdout, "uploaded"), count(first.stdout, "already there")) == (4, 0)
    for key in expected:
        answer = s3.get_object(Bucket=bucket, Key=key)
        assert answer["ContentType"] == "image/webp"
        image = pyvips.Image.new_from_buffer(answer["Body"].read(), "")
        assert (image.width, image.height) == (400, 250)

    # The same bytes `fitter convert` makes: one engine for both.
    out = tmp_path / "out"
    converted = fitter("convert", str(src), "-o", str(out), "-w", "400", "--format", "webp")
    assert converted.exit_code == 0, converted.stderr
    for name in names:
        local = out / name.replace(".jpg", ".webp")
        key = "site/variants/" + name.replace(".jpg", ".webp")
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == local.read_bytes()

    stamps = {k: v["LastModified"] for k, v in objects(s3, bucket).items()}
    second = fitter(*arguments)
    assert second.exit_code == 0, second.stderr
    assert (count(second.stdout, "uploaded"), count(second.stdout, "already there")) == (0, 4)
    assert {k: v["LastModified"] for k, v in objects(s3, bucket).items()} == stamps


def test_originals_too_and_a_changed_object_is_replaced(
    s3: Any, bucket: str, config: Path, src: Path, tmp_path: Path
) -> None:
    arguments = ["backup", str(src), "--to", f"s3://{bucket}/b", "--config", str(config)]
    arguments += ["--originals", "-h", "300"]
    first = fitter(*arguments)
    assert first.exit_code == 0, first.stderr
    names = relative_images(src)
    keys = objects(s3, bucket)
    assert set(keys) == {f"b/variants/{n}" for n in names} | {f"b/originals/{n}" for n in names}
    assert count(first.stdout, "uploaded") == 8
    for name in names:
        original = s3.get_object(Bucket=bucket, Key=f"b/originals/{name}")
        assert original["Body"].read() == (src / name).read_bytes()
        assert original["ContentType"] == "image/jpeg"
        variant = s3.get_object(Bucket=bucket, Key=f"b/variants/{name}")
        assert variant["ContentType"] == "image/jpeg"
        assert pyvips.Image.new_from_buffer(variant["Body"].read(), "").height == 300

    # Someone replaced one object with other bytes: the next run puts ours back.
    tampered = f"b/originals/{names[0]}"
    s3.put_object(Bucket=bucket, Key=tampered, Body=b"something else")
    second = fitter(*arguments)
    assert second.exit_code == 0, second.stderr
    assert (count(second.stdout, "uploaded"), count(second.stdout, "already there")) == (1, 7)
    body = s3.get_object(Bucket=bucket, Key=tampered)["Body"].read()
    assert body == (src / names[0]).read_bytes()


def test_an_interrupted_run_leaves_no_partial_object_and_resumes(
    s3: Any, bucket: str, config: Path, photos: Path, tmp_path: Path
) -> None:
    src = tmp_path / "many"
    # 18 photographs, 36 objects, one at a time: the run is killed after its third object.
    for copy in range(2):
        (src / f"set{copy}").mkdir(parents=True)
        for photo in sorted(photos.glob("*.jpg")):
            if "5120" not in photo.name:
                shutil.copy(photo, src / f"set{copy}" / photo.name)
    total = len(relative_images(src))
    arguments = ["backup", str(src), "--to", f"s3://{bucket}/run", "-c", str(config)]
    arguments += ["--originals", "-w", "1200", "--jobs", "1"]
    process = subprocess.Popen(
        [sys.executable, "-m", "fitter", *arguments],
        cwd=tmp_path,
        env=environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=services.die_with_parent,
    )
    try:
        deadline = time.monotonic() + 60
        while len(objects(s3, bucket)) < 3:
            assert process.poll() is None, "the backup finished before it could be interrupted"
            assert time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        process.wait()

    left = settled(lambda: objects(s3, bucket), key=lambda found: sorted(found))
    assert 3 <= len(left) < 2 * total
    for key, item in left.items():
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        assert len(body) == item["Size"]
        assert hashlib.md5(body).hexdigest() == item["ETag"].strip('"')
        name = key.split("/", 2)[2]
        if key.startswith("run/originals/"):
            assert body == (src / name).read_bytes()
        else:
            assert pyvips.Image.new_from_buffer(body, "").width == 1200

    resumed = fitter(*arguments[:-2])
    assert resumed.exit_code == 0, resumed.stderr
    assert count(resumed.stdout, "already there") == len(left)
    assert count(resumed.stdout, "uploaded") == 2 * total - len(left)
    assert len(objects(s3, bucket)) == 2 * total


def test_failures_are_listed_and_the_rest_uploaded(
    s3: Any, bucket: str, config: Path, src: Path, tmp_path: Path
) -> None:
    (src / "broken.jpg").write_bytes(b"not a JPEG at all")
    done = fitter("backup", str(src), "--to", f"s3://{bucket}", "-c", str(config), "-w", "100")
    assert done.exit_code == 1
    assert (count(done.stdout, "uploaded"), count(done.stdout, "failed")) == (4, 1)
    assert "failed variants/broken.jpg: the source is not a supported image" in done.stderr
    assert len(objects(s3, bucket)) == 4


def test_the_aws_chain_without_a_config(
    s3_server: services.S3Server, s3: Any, bucket: str, src: Path, tmp_path: Path
) -> None:
    """Run as a user runs it (`python -m fitter`): the entry point, and the credentials in
    the environment the process starts with."""
    env = environment(
        AWS_ACCESS_KEY_ID=s3_server.access_key,
        AWS_SECRET_ACCESS_KEY=s3_server.secret_key,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ENDPOINT_URL_S3=s3_server.endpoint,
    )
    done = services.run_fitter(
        "backup", str(src), "--to", f"s3://{bucket}/env", "-w", "64", cwd=tmp_path, env=env
    )
    assert done.returncode == 0, done.stderr
    assert len([k for k in objects(s3, bucket) if k.startswith("env/variants/")]) == 4


def test_bad_targets_and_options_stop_before_any_work(
    s3: Any, bucket: str, config: Path, src: Path, tmp_path: Path
) -> None:
    bad_url = fitter("backup", str(src), "--to", "https://x/y", "-c", str(config))
    assert bad_url.exit_code == 2
    assert "--to must look like s3://bucket/prefix" in bad_url.stderr
    bad_option = fitter(
        "backup",
        str(src),
        "--to",
        f"s3://{bucket}",
        "-c",
        str(config),
        "--quality",
        "0",
    )
    assert bad_option.exit_code == 2
    assert "quality must be a whole number from 1 to 100 (got '0')" in bad_option.stderr
    missing = fitter(
        "backup",
        str(src),
        "--to",
        "s3://no-such-bucket-here",
        "-c",
        str(config),
        "-w",
        "9",
    )
    assert missing.exit_code == 1
    assert "no such bucket" in missing.stderr
    assert objects(s3, bucket) == {}
