"""The IIIF Image API dialect, versions 3.0 and 2.1 at compliance level 2: `grammar`
(request paths into Plans) and `info` (the `info.json` document)."""

from fitter.dialects.iiif.grammar import (
    FORMATS,
    QUALITIES,
    Base,
    Image,
    ImageRequest,
    Info,
    Resource,
    Version,
    canonical_path,
    encode_identifier,
    parse_image,
    parse_region,
    parse_rotation,
    parse_size,
    resolve,
    size_problems,
    source_path,
    split_path,
    with_limits,
)
from fitter.dialects.iiif.info import info_document, scale_factors

__all__ = [
    "FORMATS",
    "QUALITIES",
    "Base",
    "Image",
    "ImageRequest",
    "Info",
    "Resource",
    "Version",
    "canonical_path",
    "encode_identifier",
    "info_document",
    "parse_image",
    "parse_region",
    "parse_rotation",
    "parse_size",
    "resolve",
    "scale_factors",
    "size_problems",
    "source_path",
    "split_path",
    "with_limits",
]
