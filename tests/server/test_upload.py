"""POST /upload, answered by the application in process, to a local folder and to S3."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from fitter.signing import sign_url
from support import images as synth


@pytest.fixture
def uploading(make_app, tmp_path):
    """An application that takes uploads into its own empty source folder."""
    source = tmp_path / "originals"
    source.mkdir()
    app = make_app(
        storage={
            "source": {"type": "fs", "location": str(source)},
            "store": {"type": "fs", "location": str(tmp_path / "variants")},
        },
        options={"enable_upload": True},
        limits={"max_upload_bytes": 200_000, "max_source_pixels": 4_000_000},
    )
    return app, source


def png(width: int = 64, height: int = 48) -> bytes:
    return synth.gradient(width, height).pngsave_buffer()


def test_uploads_are_off_by_default(http):
    answer = http.post("/upload", files={"file": ("a.png", png())})
    assert answer.status_code == 404
    assert answer.json()["errors"]


def test_an_upload_is_kept_in_the_source_and_served(uploading):
    app, source = uploading
    with app.http() as http:
        answer = http.post(
            "/upload", params={"path": "people/ada.png"}, files={"file": ("whatever.jpg", png())}
        )
        assert answer.status_code == 201, answer.text
        assert answer.json() == {
            "path": "people/ada.png",
            "width": 64,
            "height": 48,
            "format": "png",
            "bytes": len(png()),
        }
        assert (source / "people" / "ada.png").read_bytes() == png()
        image = http.get("/image", params={"path": "people/ada.png", "width": "32"})
        assert synth.load(image.content).height == 24
        named = http.post("/upload", files={"file": ("../../My Photo!.png", png(10, 10))})
        assert named.json()["path"] == "My Photo.png"
        hashed = http.post("/upload", files={"file": ("???", png(12, 12))})
        assert hashed.status_code == 201
        assert hashed.json()["path"].startswith("uploads/")
        assert (source / hashed.json()["path"]).is_file()
        assert list(source.glob(".fitter-tmp/*")) == []


def test_an_existing_original_is_not_overwritten(uploading):
    app, source = uploading
    with app.http() as http:
        first = http.post("/upload", params={"path": "x.png"}, files={"file": ("x", png())})
        assert first.status_code == 201
        again = http.post("/upload", params={"path": "x.png"}, files={"file": ("x", png(8, 8))})
        assert again.status_code == 409
        assert again.json()["errors"][0]["param"] == "path"
        assert (source / "x.png").read_bytes() == png()


@pytest.mark.parametrize(
    ("params", "content", "status", "param"),
    [
        ({"path": "t.png"}, b"not an image at all", 415, "file"),
        ({"path": "t.png"}, b"<html><body>hi</body></html>", 415, "file"),
        ({"path": "../escape.png"}, None, 400, "path"),
        ({"path": "a/../../escape.png"}, None, 400, "path"),
        ({"path": ".hidden.png"}, None, 400, "path"),
        ({"path": "0123456789abcdef0123456789abcdef.png"}, None, 400, "path"),
        ({"path": "big.png"}, "big", 413, "file"),
        ({"path": "bomb.png"}, "bomb", 422, "file"),
        ({"colour": "red"}, None, 400, "colour"),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_written(uploading, params, content, status, param):
    app, source = uploading
    if content is None:
        content = png()
    elif content == "big":
        content = synth.gradient(400, 400).pngsave_buffer(compression=0)
    elif content == "bomb":
        content = synth.gradient(2100, 2000).jpegsave_buffer(Q=10)
    with app.http() as http:
        answer = http.post("/upload", params=params, files={"file": ("f.png", content)})
    assert answer.status_code == status, answer.text
    assert answer.json()["errors"][0]["param"] == param
    assert [p for p in source.rglob("*") if ".fitter-tmp" not in p.parts] == []
    assert not (source.parent / "escape.png").exists()


def test_a_form_without_a_file_is_400(uploading):
    app, _ = uploading
    with app.http() as http:
        answer = http.post("/upload", data={"path": "x.png"})
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["param"] == "file"


def test_uploads_to_an_s3_source(make_app, s3_server, tmp_path):
    bucket = f"up-{uuid.uuid4().hex[:10]}"
    s3_server.client().create_bucket(Bucket=bucket)
    section = {
        "type": "s3",
        "bucket_name": bucket,
        "location": "originals",
        "endpoint_url": s3_server.endpoint,
        "aws_access_key_id": s3_server.access_key,
        "aws_secret_access_key": s3_server.secret_key,
        "bucket_region": "us-east-1",
    }
    app = make_app(
        storage={"source": section, "store": {"type": "fs", "location": str(tmp_path / "v")}},
        options={"enable_upload": True},
    )
    with app.http() as http:
        answer = http.post("/upload", params={"path": "p/a.png"}, files={"file": ("a", png())})
        assert answer.status_code == 201, answer.text
        head = s3_server.client().head_object(Bucket=bucket, Key="originals/p/a.png")
        assert head["ContentType"] == "image/png"
        image = http.get("/image", params={"path": "p/a.png", "width": "16"})
        assert synth.load(image.content).width == 16


def test_uploads_are_signed_like_every_request(make_app, tmp_path: Path):
    source = tmp_path / "originals"
    app = make_app(
        storage={
            "source": {"type": "fs", "location": str(source)},
            "store": {"type": "fs", "location": str(tmp_path / "v")},
        },
        options={"enable_upload": True},
        security={"key": ["up-key"]},
    )
    with app.http() as http:
        unsigned = http.post("/upload", params={"path": "a.png"}, files={"file": ("a", png())})
        assert unsigned.status_code == 403
        url = sign_url("/upload?path=a.png", "up-key")
        assert http.post(url, files={"file": ("a", png())}).status_code == 201
        other = url.replace("path=a.png", "path=b.png")
        assert http.post(other, files={"file": ("a", png())}).status_code == 403
        form_path = http.post(
            sign_url("/upload", "up-key"), data={"path": "c.png"}, files={"file": ("a", png())}
        )
        assert form_path.status_code == 400
        assert form_path.json()["errors"][0]["param"] == "path"
    assert sorted(p.name for p in source.iterdir() if not p.name.startswith(".")) == ["a.png"]
