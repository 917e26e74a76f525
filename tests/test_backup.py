"""`fitter backup` end to end against the real S3 server (SeaweedFS), run as a user runs it."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import pyvips
import services
import yaml


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FITTER_", "AWS_"))}
    return env | extra


def fitter(*arguments: str, cwd: Path, env: dict[str, str] | None = None):
    """The command without this process's AWS_* variables: the config gives credentials."""
    return services.run_fitter(*arguments, cwd=cwd, env=env or environment())


def count(output: str, label: str) -> int:
    found = re.search(rf"{label}\s*│\s*(\d+)", output)
    assert found, output
    return int(found.group(1))


@pytest.fixture
def bucket(s3_server: services.S3Server) -> str:
    name = f"backup-{uuid.uuid4().hex[:12]}"
    s3_server.client().create_bucket(Bucket=name)
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


def objects(server: services.S3Server, bucket: str) -> dict[str, dict]:
    listing = server.client().list_objects_v2(Bucket=bucket)
    return {item["Key"]: item for item in listing.get("Contents", [])}


def relative_images(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.jpg"))


def test_variants_are_uploaded_once_with_their_keys_and_type(
    s3_server: services.S3Server, bucket: str, config: Path, src: Path, tmp_path: Path
) -> None:
    arguments = ["backup", str(src), "--to", f"s3://{bucket}/site/", "-c", str(config)]
    arguments += ["-w", "400", "--format", "webp"]
    first = fitter(*arguments, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    names = relative_images(src)
    expected = {f"site/variants/{n.removesuffix('.jpg')}.webp" for n in names}
    assert set(objects(s3_server, bucket)) == expected
    assert (count(first.stdout, "uploaded"), count(first.stdout, "already there")) == (4, 0)
    client = s3_server.client()
    for key in expected:
        answer = client.get_object(Bucket=bucket, Key=key)
        assert answer["ContentType"] == "image/webp"
        image = pyvips.Image.new_from_buffer(answer["Body"].read(), "")
        assert (image.width, image.height) == (400, 250)

    # The same bytes `fitter convert` makes: one engine for both.
    out = tmp_path / "out"
    converted = fitter(
        "convert", str(src), "-o", str(out), "-w", "400", "--format", "webp", cwd=tmp_path
    )
    assert converted.returncode == 0, converted.stderr
    for name in names:
        local = out / name.replace(".jpg", ".webp")
        key = "site/variants/" + name.replace(".jpg", ".webp")
        assert client.get_object(Bucket=bucket, Key=key)["Body"].read() == local.read_bytes()

    stamps = {k: v["LastModified"] for k, v in objects(s3_server, bucket).items()}
    second = fitter(*arguments, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert (count(second.stdout, "uploaded"), count(second.stdout, "already there")) == (0, 4)
    assert {k: v["LastModified"] for k, v in objects(s3_server, bucket).items()} == stamps


def test_originals_too_and_a_changed_object_is_replaced(
    s3_server: services.S3Server, bucket: str, config: Path, src: Path, tmp_path: Path
) -> None:
    arguments = ["backup", str(src), "--to", f"s3://{bucket}/b", "--config", str(config)]
    arguments += ["--originals", "-h", "300"]
    first = fitter(*arguments, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    names = relative_images(src)
    keys = objects(s3_server, bucket)
    assert set(keys) == {f"b/variants/{n}" for n in names} | {f"b/originals/{n}" for n in names}
    assert count(first.stdout, "uploaded") == 8
    client = s3_server.client()
    for name in names:
        original = client.get_object(Bucket=bucket, Key=f"b/originals/{name}")
        assert original["Body"].read() == (src / name).read_bytes()
        assert original["ContentType"] == "image/jpeg"
        variant = client.get_object(Bucket=bucket, Key=f"b/variants/{name}")
        assert variant["ContentType"] == "image/jpeg"
        assert pyvips.Image.new_from_buffer(variant["Body"].read(), "").height == 300

    # Someone replaced one object with other bytes: the next run puts ours back.
    tampered = f"b/originals/{names[0]}"
    client.put_object(Bucket=bucket, Key=tampered, Body=b"something else")
    second = fitter(*arguments, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert (count(second.stdout, "uploaded"), count(second.stdout, "already there")) == (1, 7)
    body = client.get_object(Bucket=bucket, Key=tampered)["Body"].read()
    assert body == (src / names[0]).read_bytes()


def test_an_interrupted_run_leaves_no_partial_object_and_resumes(
    s3_server: services.S3Server, bucket: str, config: Path, photos: Path, tmp_path: Path
) -> None:
    src = tmp_path / "many"
    for copy in range(4):
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
    )
    deadline = time.monotonic() + 60
    while len(objects(s3_server, bucket)) < 3:
        assert process.poll() is None, "the backup finished before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()

    left = objects(s3_server, bucket)
    assert 3 <= len(left) < 2 * total
    client = s3_server.client()
    for key, item in left.items():
        body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
        assert len(body) == item["Size"]
        assert hashlib.md5(body).hexdigest() == item["ETag"].strip('"')
        name = key.split("/", 2)[2]
        if key.startswith("run/originals/"):
            assert body == (src / name).read_bytes()
        else:
            assert pyvips.Image.new_from_buffer(body, "").width == 1200

    resumed = fitter(*arguments[:-2], cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert count(resumed.stdout, "already there") == len(left)
    assert count(resumed.stdout, "uploaded") == 2 * total - len(left)
    assert len(objects(s3_server, bucket)) == 2 * total


def test_failures_are_listed_and_the_rest_uploaded(
    s3_server: services.S3Server, bucket: str, config: Path, src: Path, tmp_path: Path
) -> None:
    (src / "broken.jpg").write_bytes(b"not a JPEG at all")
    done = fitter(
        "backup", str(src), "--to", f"s3://{bucket}", "-c", str(config), "-w", "100", cwd=tmp_path
    )
    assert done.returncode == 1
    assert (count(done.stdout, "uploaded"), count(done.stdout, "failed")) == (4, 1)
    assert "failed variants/broken.jpg: the source is not a supported image" in done.stderr
    assert len(objects(s3_server, bucket)) == 4


def test_the_aws_chain_without_a_config(
    s3_server: services.S3Server, bucket: str, src: Path, tmp_path: Path
) -> None:
    env = environment(
        AWS_ACCESS_KEY_ID=s3_server.access_key,
        AWS_SECRET_ACCESS_KEY=s3_server.secret_key,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ENDPOINT_URL_S3=s3_server.endpoint,
    )
    done = fitter(
        "backup", str(src), "--to", f"s3://{bucket}/env", "-w", "64", cwd=tmp_path, env=env
    )
    assert done.returncode == 0, done.stderr
    assert len([k for k in objects(s3_server, bucket) if k.startswith("env/variants/")]) == 4


def test_bad_targets_and_options_stop_before_any_work(
    s3_server: services.S3Server, bucket: str, config: Path, src: Path, tmp_path: Path
) -> None:
    bad_url = fitter("backup", str(src), "--to", "https://x/y", "-c", str(config), cwd=tmp_path)
    assert bad_url.returncode == 2
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
        cwd=tmp_path,
    )
    assert bad_option.returncode == 2
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
        cwd=tmp_path,
    )
    assert missing.returncode == 1
    assert "no such bucket" in missing.stderr
    assert objects(s3_server, bucket) == {}
