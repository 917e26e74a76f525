"""The image information document (`info.json`) of IIIF Image API 3.0 and 2.1, level 2."""

from __future__ import annotations

import math
from typing import Any

from fitter.dialects.iiif.grammar import FORMATS, QUALITIES, Size, Version

# Beyond level 2, what fitter does: the honest `extraFeatures` (3.0) and `supports` (2.1).
EXTRA_FEATURES_3 = [
    "canonicalLinkHeader",
    "mirroring",
    "profileLinkHeader",
    "rotationArbitrary",
    "sizeUpscaling",
]
SUPPORTS_2 = [
    "baseUriRedirect",
    "canonicalLinkHeader",
    "cors",
    "jsonldMediaType",
    "mirroring",
    "profileLinkHeader",
    "regionByPct",
    "regionByPx",
    "regionSquare",
    "rotationArbitrary",
    "rotationBy90s",
    "sizeAboveFull",
    "sizeByConfinedWh",
    "sizeByDistortedWh",
    "sizeByH",
    "sizeByPct",
    "sizeByW",
    "sizeByWh",
]
TILE = 512
# The smallest long side `sizes` offers: below it a "size" is not worth a request.
SMALLEST_SIZE = 64


def info_document(version: Version, base: str, source: Size, limit: Size) -> dict[str, Any]:
    """The image information document, as honest as fitter is about what it can do."""
    width, height = source
    factors = scale_factors(source)
    # Whole images at each power-of-two scale, smallest first, down to SMALLEST_SIZE.
    sizes = [
        {"width": math.ceil(width / f), "height": math.ceil(height / f)}
        for f in reversed(scale_factors(source, SMALLEST_SIZE))
        if max(source) / f >= SMALLEST_SIZE
        and math.ceil(width / f) <= limit[0]
        and math.ceil(height / f) <= limit[1]
    ] or [{"width": width, "height": height}]
    tiles = [{"width": TILE, "height": TILE, "scaleFactors": factors}]
    if version is Version.V3:
        return {
            "@context": version.context,
            "id": base,
            "type": "ImageService3",
            "protocol": "http://iiif.io/api/image",
            "profile": "level2",
            "width": width,
            "height": height,
            "maxWidth": limit[0],
            "maxHeight": limit[1],
            "sizes": sizes,
            "tiles": tiles,
            "extraFormats": ["webp", "gif"],
            "extraQualities": ["color", "gray", "bitonal"],
            "extraFeatures": EXTRA_FEATURES_3,
        }
    return {
        "@context": version.context,
        "@id": base,
        "protocol": "http://iiif.io/api/image",
        "width": width,
        "height": height,
        "sizes": sizes,
        "tiles": tiles,
        "profile": [
            version.profile,
            {
                "formats": list(FORMATS),
                "qualities": list(QUALITIES),
                "supports": SUPPORTS_2,
                "maxWidth": limit[0],
                "maxHeight": limit[1],
            },
        ],
    }


def scale_factors(source: Size, smallest: int = TILE) -> list[int]:
    """Powers of two from 1 until the whole image fits in `smallest` pixels."""
    factors = [1]
    while max(source) / factors[-1] > smallest:
        factors.append(factors[-1] * 2)
    return factors
