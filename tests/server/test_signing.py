"""Signed URLs: the canonical form and HMAC in fitter.signing, then their enforcement by the
application (in process) and `fitter sign`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import logging
import re
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
import yaml

from fitter import signing
from fitter.config import ConfigError, build_config
from fitter.signing import canonical, sign, sign_url, verify
from support import images as synth
from support import inprocess, services

KEYS = ["k1", "k2"]
ITEMS = [("width", "300"), ("path", "a/b.jpg"), ("format", "webp")]


# The canonical form and the signature.


def test_canonical_form_is_path_then_sorted_encoded_parameters():
    assert canonical("/image", ITEMS) == "/image?format=webp&path=a%2Fb.jpg&width=300"


def test_canonical_form_leaves_sig_out():
    assert canonical("/image", [*ITEMS, ("sig", "abc")]) == canonical("/image", ITEMS)


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        ("a b", "a%20b"),
        ("a+b", "a%2Bb"),
        ("a&width=1", "a%26width%3D1"),
        ("ü/é.png", "%C3%BC%2F%C3%A9.png"),
        ("-._~", "-._~"),
        ("#?%", "%23%3F%25"),
    ],
)
def test_every_value_is_percent_encoded_alike(value, encoded):
    assert canonical("/get", [("path", value)]) == f"/get?path={encoded}"


def test_names_are_encoded_too_so_a_value_cannot_pose_as_a_parameter():
    # Unencoded, both would read `/image?a=b=c`.
    assert canonical("/image", [("a", "b=c")]) != canonical("/image", [("a=b", "c")])
    assert sign("k", "/image", [("a", "b=c")]) != sign("k", "/image", [("a=b", "c")])


def test_pairs_are_sorted_by_encoded_name_then_value():
    items = [("b", "2"), ("a", "z"), ("a", "é"), ("a", "~")]
    # `%C3%A9` sorts before `z` (bytes of the encoded form, as in any language).
    assert canonical("/x", items) == "/x?a=%C3%A9&a=z&a=~&b=2"


def test_the_order_of_parameters_does_not_change_the_signature():
    signatures = {sign("k1", "/image", list(order)) for order in itertools.permutations(ITEMS)}
    assert len(signatures) == 1


@pytest.mark.parametrize(
    ("path", "items"),
    [
        ("/get", ITEMS),
        ("/image", [("width", "301"), ("path", "a/b.jpg"), ("format", "webp")]),
        ("/image", [*ITEMS, ("quality", "80")]),
        ("/image", ITEMS[:2]),
        ("/image", [("w", "300"), ("path", "a/b.jpg"), ("format", "webp")]),
    ],
)
def test_any_other_path_or_parameter_changes_the_signature(path, items):
    assert sign("k1", path, items) != sign("k1", "/image", ITEMS)


def test_signature_is_url_safe_base64_of_the_hmac_without_padding():
    signature = sign("k1", "/image", ITEMS)
    assert len(signature) == 43
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", signature)
    message = b"/image?format=webp&path=a%2Fb.jpg&width=300"
    digest = hmac.new(b"k1", message, hashlib.sha256).digest()
    assert base64.urlsafe_b64decode(signature + "=") == digest


def test_any_configured_key_verifies_so_keys_can_rotate():
    by_second = sign("k2", "/image", ITEMS)
    assert verify(KEYS, "/image", ITEMS, by_second)
    assert verify(KEYS, "/image", ITEMS, sign("k1", "/image", ITEMS))
    assert not verify(["k1"], "/image", ITEMS, by_second)
    assert not verify(["k3"], "/image", ITEMS, by_second)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        sign("k1", "/image", ITEMS)[:-1],
        sign("k1", "/image", ITEMS)[:16],
        sign("k1", "/image", ITEMS) + "=",
        sign("k1", "/image", ITEMS) + "A",
        sign("k1", "/get", ITEMS),
        "é" * 43,
    ],
)
def test_wrong_truncated_or_foreign_signatures_fail(bad):
    assert verify(KEYS, "/image", ITEMS, bad) is False


def test_signatures_are_compared_in_constant_time_against_every_key(monkeypatch):
    calls = []
    real = hmac.compare_digest

    def counting(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(signing.hmac, "compare_digest", counting)
    keys = ["k1", "k2", "k3"]
    # A match on the first key still compares the others: the time says nothing.
    assert verify(keys, "/image", ITEMS, sign("k1", "/image", ITEMS))
    assert len(calls) == 3
    assert not verify(keys, "/image", ITEMS, "wrong")
    assert len(calls) == 6


# The helper for users' own code.


def items_and_sig(url: str) -> tuple[str, list[tuple[str, str]], list[str]]:
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    return parts.path, [p for p in pairs if p[0] != "sig"], [v for k, v in pairs if k == "sig"]


@pytest.mark.parametrize(
    "url",
    [
        "/image?path=a%2Fb.jpg&width=300&format=webp",
        "https://img.example.com/image?width=300&path=a/b.jpg&format=webp",
        "http://127.0.0.1:6001/get?path=a+b.png&w=10",
    ],
)
def test_sign_url_appends_a_sig_the_server_accepts(url):
    signed = sign_url(url, "k1")
    assert signed.startswith(url + "&sig=")
    path, items, sigs = items_and_sig(signed)
    assert len(sigs) == 1
    assert verify(["k1"], path, items, sigs[0])
    assert not verify(["k2"], path, items, sigs[0])


def test_sign_url_replaces_an_existing_sig_and_keeps_the_rest_as_written():
    signed = sign_url("/image?path=a%2Fb.jpg&sig=old&width=300", "k1")
    assert signed == f"/image?path=a%2Fb.jpg&width=300&sig={sign('k1', '/image', ITEMS[:2])}"
    assert sign_url(signed, "k1") == signed


def test_sign_url_without_parameters():
    signed = sign_url("/info", "k1")
    assert signed == f"/info?sig={sign('k1', '/info', [])}"


# Configuration.

STORE = {"store": {"type": "fs", "location": "v"}}


def test_one_key_may_be_given_as_a_string_and_is_a_secret():
    config = build_config({"storage": STORE, "security": {"key": "s3cret"}}, {})
    assert [k.get_secret_value() for k in config.security.key] == ["s3cret"]
    assert "s3cret" not in repr(config)
    from_env = build_config({"storage": STORE}, {"FITTER_SECURITY__KEY": '["a", "b"]'})
    assert [k.get_secret_value() for k in from_env.security.key] == ["a", "b"]


def test_an_empty_key_is_refused():
    with pytest.raises(ConfigError) as caught:
        build_config({"storage": STORE, "security": {"key": ["k1", ""]}}, {})
    assert caught.value.problems == ["security.key: an empty key would let anyone sign URLs"]


# End to end: the application in process (`make_app`), and one real `fitter serve` for what
# it prints at start.

SIGNED_ENDPOINTS = [
    ("/image", {"path": "a.png", "width": "20"}, 200),
    ("/get", {"path": "a.png", "width": "21"}, 200),
    ("/redirect", {"path": "a.png", "width": "22"}, 302),
    ("/show", {"path": "a.png", "width": "23"}, 202),
    ("/info", {"path": "a.png"}, 200),
]


def signed(endpoint: str, key: str = "k1", **params: str) -> str:
    return sign_url(f"{endpoint}?{urlencode(params)}", key)


def forbidden(answer: httpx.Response, words: str) -> None:
    assert answer.status_code == 403, answer.text
    assert answer.headers["content-type"] == "application/json"
    [problem] = answer.json()["errors"]
    assert problem["param"] == "sig"
    assert words in problem["message"]


@pytest.fixture
def signed_app(make_app):
    """A fresh application that wants URLs signed with k1 or k2."""
    return make_app(security={"key": KEYS})


@pytest.fixture
def warnings_at_start(make_app, caplog):
    """Build an application; give it and what was logged at WARNING or above meanwhile, one
    `LEVEL logger: message` line each (`create_app` logs its warnings on `fitter`)."""

    def start(**sections: object) -> tuple[inprocess.App, str]:
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            app = make_app(**sections)
        logged = "\n".join(
            f"{r.levelname} {r.name}: {r.getMessage()}"
            for r in caplog.records
            if r.levelno >= logging.WARNING
        )
        return app, logged

    return start


def test_every_endpoint_needs_a_signature_and_accepts_a_good_one(signed_app):
    with signed_app.http() as http:
        for endpoint, params, status in SIGNED_ENDPOINTS:
            forbidden(http.get(endpoint, params=params), "missing")
            assert http.head(endpoint, params=params).status_code == 403
            answer = http.get(signed(endpoint, **params))
            assert answer.status_code == status, (endpoint, answer.text)
        image = http.get(signed("/image", path="a.png", width="20"))
        assert synth.load(image.content).width == 20


def test_a_signature_covers_exactly_its_path_and_parameters(signed_app):
    good = signed("/image", path="a.png", width="30")
    sig = dict(parse_qsl(urlsplit(good).query))["sig"]
    with signed_app.http() as http:
        forbidden(http.get("/image", params={"path": "a.png", "width": "31", "sig": sig}), "match")
        forbidden(http.get("/get", params={"path": "a.png", "width": "30", "sig": sig}), "match")
        extra = {"path": "a.png", "width": "30", "quality": "5", "sig": sig}
        forbidden(http.get("/image", params=extra), "does not match")
        forbidden(http.get(good[:-1]), "does not match")
        forbidden(http.get(good[:-20]), "does not match")
        forbidden(http.get(good + "x"), "does not match")
        forbidden(http.get("/image?path=a.png&width=30&sig="), "does not match")
        forbidden(http.get(signed("/image", key="k3", path="a.png", width="30")), "match")
        # A repeated sig is 403 too, even when both copies are the good one: exactly one.
        forbidden(http.get(f"{good}&sig={sig}"), "exactly once")
        # Any order or spelling of the same parameters is the same request.
        reordered = f"/image?width=30&path=%61.png&sig={sig}"
        assert http.get(reordered).status_code == 200
        assert http.get(good).status_code == 200
    assert signed_app.engine_runs() == 1


def test_the_signature_is_checked_before_parsing_or_reading_storage(signed_app):
    with signed_app.http() as http:
        for params in (
            {"path": "../etc/passwd", "width": "10"},
            {"path": "missing.png", "width": "10"},
            {"path": "a.png", "width": "-1", "bogus": "1"},
            {"path": "a.png", "width": "10", "sig": "forged"},
        ):
            for endpoint in ("/image", "/get", "/redirect", "/show", "/info"):
                answer = http.get(endpoint, params=params)
                assert answer.status_code == 403, (endpoint, params, answer.text)
        assert signed_app.engine_runs() == 0
        assert not any(signed_app.store.rglob("*.*"))
        # Once signed, the same requests get their ordinary answers.
        assert http.get(signed("/image", path="missing.png", width="10")).status_code == 404
        bad = http.get(signed("/image", path="a.png", width="-1"))
        assert bad.status_code == 400
        assert bad.json()["errors"][0]["param"] == "width"


def test_a_url_signed_with_the_second_key_is_accepted(signed_app):
    with signed_app.http() as http:
        answer = http.get(signed("/image", key="k2", path="a.png", width="24"))
        assert answer.status_code == 200
        assert synth.load(answer.content).width == 24


def test_stored_variants_health_and_metrics_need_no_signature(signed_app):
    with signed_app.http() as http:
        body = http.get(signed("/get", path="a.png", width="25", format="png")).json()
        stored = http.get(f"/store/{body['path']}")
        assert stored.status_code == 200
        assert synth.load(stored.content).width == 25
        assert http.get(body["url"]).status_code == 200
        assert http.get("/health").json()["status"] == "ok"
        assert "fitter_engine_runs_total" in http.get("/metrics").text


def test_allow_unsigned_serves_unsigned_requests_but_not_wrong_signatures(warnings_at_start):
    app, logged = warnings_at_start(security={"key": KEYS, "allow_unsigned": True})
    assert re.search(r"WARNING.*security\.allow_unsigned is true", logged)
    with app.http() as http:
        assert http.get("/image", params={"path": "a.png", "width": "26"}).status_code == 200
        assert http.get(signed("/image", path="a.png", width="27")).status_code == 200
        wrong = {"path": "a.png", "width": "28", "sig": sign("k1", "/image", [])}
        forbidden(http.get("/image", params=wrong), "does not match")
        forbidden(http.get("/get", params={"path": "a.png", "sig": "x", "width": "1"}), "match")


def test_an_open_server_is_a_warning_at_start_and_a_signed_one_is_not(warnings_at_start):
    _, open_server = warnings_at_start()
    assert re.search(r"WARNING.*security\.key is not set", open_server)
    _, console = warnings_at_start(security={"key": KEYS})
    assert re.search(r"WARNING.*options\.console is on with a key set", console)
    assert "security.key is not set" not in console
    _, quiet = warnings_at_start(security={"key": KEYS}, options={"console": False})
    assert "security." not in quiet
    assert "WARNING" not in quiet


def test_fitter_serve_prints_the_open_server_warning(make_server):
    """The one real `fitter serve` here: the warning `create_app` logs is printed, because
    the command sets up logging (`create_app` never does)."""
    server = make_server()
    log = (server.store.parent / "server.log").read_text()
    assert re.search(r"WARNING.*security\.key is not set", log)


def test_unsigned_dialects_beside_a_key_are_warnings_at_start(warnings_at_start):
    """thumbor's /unsafe/ and IIIF switched on, on a server that otherwise wants signatures."""
    _, logged = warnings_at_start(
        security={"key": KEYS},
        options={"console": False},
        thumbor={"allow_unsafe": True},
        iiif={"enabled": True},
    )
    assert re.search(r"WARNING.*thumbor\.allow_unsafe is true with a key set", logged)
    assert re.search(r"WARNING.*iiif\.enabled is true with a key set", logged)


def test_fitter_sign_prints_urls_the_server_accepts(signed_app, tmp_path):
    # `fitter sign` (a real command) reads the very file the application was built from.
    config = signed_app.store.parent / "fitter.yaml"
    absolute = f"{signed_app.url}/image?path=a.png&width=29"
    done = services.run_fitter("sign", absolute, "--config", str(config), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    url = done.stdout.strip()
    assert url.startswith(absolute + "&sig=")
    relative = services.run_fitter(
        "sign", "/get?path=a.png&w=12", "--config", str(config), cwd=tmp_path
    )
    assert relative.returncode == 0, relative.stderr
    with signed_app.http() as http:
        answer = http.get(url)
        assert answer.status_code == 200
        assert synth.load(answer.content).width == 29
        assert http.get(relative.stdout.strip()).json()["width"] == 12
        forbidden(http.get(relative.stdout.strip().replace("w=12", "w=13")), "does not match")


def test_fitter_sign_without_a_key_fails(tmp_path):
    path = tmp_path / "open.yaml"
    path.write_text(yaml.safe_dump({"storage": STORE}))
    done = services.run_fitter(
        "sign", "/image?path=a.png&width=10", "--config", str(path), cwd=tmp_path
    )
    assert done.returncode == 1
    assert "security.key" in done.stderr
    assert done.stdout == ""


def test_config_check_accepts_a_key_and_masks_it(tmp_path):
    path = tmp_path / "signed.yaml"
    path.write_text(yaml.safe_dump({"storage": STORE, "security": {"key": ["s3cret-key"]}}))
    done = services.run_fitter("config", "check", "--config", str(path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "s3cret-key" not in done.stdout
    assert '"allow_unsigned": false' in done.stdout


def test_presets_only_allows_a_preset_and_nothing_else(make_app):
    presets = {"small": {"width": 40, "height": 30, "mode": "resize"}, "tiny": {"width": 8}}
    app = make_app(security={"key": KEYS}, options={"presets_only": True, "presets": presets})
    with app.http() as http:
        # The signature comes first: an unsigned request learns nothing about the rules.
        forbidden(http.get("/image", params={"path": "a.png", "width": "10"}), "missing")
        answer = http.get(signed("/image", path="a.png", preset="small"))
        assert answer.status_code == 200
        image = synth.load(answer.content)
        assert (image.width, image.height) == (40, 30)
        assert http.get(signed("/get", path="a.png", preset="tiny")).json()["width"] == 8
        sized = http.get(signed("/image", path="a.png", preset="small", width="50"))
        assert sized.status_code == 400
        [problem] = sized.json()["errors"]
        assert problem["param"] == "width"
        assert "small, tiny" in problem["message"]
        bare = http.get(signed("/image", path="a.png", w="10", format="png"))
        assert bare.status_code == 400
        assert {p["param"] for p in bare.json()["errors"]} == {"width", "format", "preset"}
        unknown = http.get(signed("/image", path="a.png", preset="huge"))
        assert unknown.status_code == 400
        assert unknown.json()["errors"][0]["param"] == "preset"
        # /info has no transformation to restrict.
        assert http.get(signed("/info", path="a.png")).json()["width"] == 64
