"""Which variant a Plan names: its concrete output, and its key."""

from __future__ import annotations

import hashlib

from fitter.models import SourceInfo
from fitter.plan.output import Output, choose
from fitter.plan.stages import Plan

# Bumped only when a canonical text could come to mean other pixels than it did: every
# stored variant is then named anew. Texts that merely change spelling need no bump (the
# old variants are simply no longer asked for).
KEY_VERSION = "v1"


def resolve_output(plan: Plan, info: SourceInfo, accept: str | None) -> Output:
    """The format and quality of the answer from the plan, the source and the client."""
    return choose(
        plan.format, plan.quality, info, accept, keep_icc=plan.keep_icc, max_bytes=plan.max_bytes
    )


def variant_key(plan: Plan, output: Output, source_version: str) -> str:
    """The stable name of a variant: a hash of source identity, operations and output."""
    text = "\n".join(
        (KEY_VERSION, plan.path, source_version, plan.operations(), output.canonical())
    )
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
