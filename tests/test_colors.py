from __future__ import annotations

import pytest

from fitter.colors import CSS_COLORS, parse_color

EXPECTED_FORMS = "expected #rgb, #rrggbb, #rrggbbaa or a CSS colour name"


@pytest.mark.parametrize(
    ("text", "rgba"),
    [
        ("#f0a", (255, 0, 170, 255)),
        ("f0a", (255, 0, 170, 255)),
        ("#F0A", (255, 0, 170, 255)),
        ("#1a2b3c", (26, 43, 60, 255)),
        ("1a2b3c", (26, 43, 60, 255)),
        ("#1A2B3C", (26, 43, 60, 255)),
        ("#1a2b3c80", (26, 43, 60, 128)),
        ("1a2b3c80", (26, 43, 60, 128)),
        ("#1A2B3C80", (26, 43, 60, 128)),
        ("#00000000", (0, 0, 0, 0)),
        ("FFFFFF", (255, 255, 255, 255)),
    ],
)
def test_hex(text: str, rgba: tuple[int, int, int, int]) -> None:
    assert parse_color(text) == rgba


@pytest.mark.parametrize(
    ("text", "rgba"),
    [
        ("red", (255, 0, 0, 255)),
        ("rebeccapurple", (102, 51, 153, 255)),
        ("lightgoldenrodyellow", (250, 250, 210, 255)),
        ("RebeccaPurple", (102, 51, 153, 255)),
        ("RED", (255, 0, 0, 255)),
        ("transparent", (0, 0, 0, 0)),
        ("Transparent", (0, 0, 0, 0)),
    ],
)
def test_named(text: str, rgba: tuple[int, int, int, int]) -> None:
    assert parse_color(text) == rgba


@pytest.mark.parametrize(
    ("grey", "gray"),
    [
        ("grey", "gray"),
        ("darkgrey", "darkgray"),
        ("dimgrey", "dimgray"),
        ("lightgrey", "lightgray"),
        ("slategrey", "slategray"),
        ("darkslategrey", "darkslategray"),
        ("lightslategrey", "lightslategray"),
    ],
)
def test_grey_and_gray_are_the_same(grey: str, gray: str) -> None:
    assert parse_color(grey) == parse_color(gray)


def test_all_148_names() -> None:
    assert len(CSS_COLORS) == 148
    assert "transparent" not in CSS_COLORS
    for name, rgb in CSS_COLORS.items():
        assert name == name.lower()
        assert all(0 <= c <= 255 for c in rgb)
        assert parse_color(name) == (*rgb, 255)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "#",
        "#12",
        "#12345",
        "#1234567",
        "#ggg",
        "blurple",
        " red",
        "red ",
        "#fff0",
        "fff0",
        "##fff",
        "#-ff",
        "#f_f",
        "#fff\n",
        "0x123",
        "\N{KELVIN SIGN}haki",
    ],
)
def test_invalid(text: str) -> None:
    with pytest.raises(ValueError, match="^" + EXPECTED_FORMS) as info:
        parse_color(text)
    assert f"(got {text!r})" in str(info.value)


def test_message_truncates_long_input() -> None:
    text = "x" * 100
    with pytest.raises(ValueError) as info:
        parse_color(text)
    assert str(info.value) == f"{EXPECTED_FORMS} (got {'x' * 40!r})"
