"""thumbor's URL grammar, so that a site moving from thumbor 7 keeps its URLs.

    /<unsafe | signature>/[meta/][trim[:corner][:tolerance]/][AxB:CxD/]
        [(adaptive-)(full-)fit-in/][-]Wx[-]H/[halign/][valign/][smart/][filters:…/]IMAGE

`parse` reads the text into a `ThumborUrl` without touching any storage; `to_plan` turns
that into a Plan. Some of thumbor's sizes depend on the source (`orig`, adaptive boxes,
the side derived from the aspect ratio, which thumbor rounds half to even), so `to_plan`
takes the upright source's size when `needs_source` says it matters.

Where thumbor silently ignores what it cannot do (an unknown filter, a malformed
argument, a format it does not know, an empty crop), fitter answers 400 naming
`filters` or the part at fault: an ignored instruction is a wrong image nobody notices.

The package, by the order a request meets it: `signing` (the HMAC-SHA1 signature),
`grammar` (the URL into a `ThumborUrl`), `filters` (the `filters:` part into typed
filters and `Options`), `sizes` (thumbor's size rules) and `plan` (`to_plan`).
"""

from fitter.dialects.thumbor.filters import Options
from fitter.dialects.thumbor.grammar import ORIG, ThumborUrl, parse
from fitter.dialects.thumbor.plan import to_plan
from fitter.dialects.thumbor.signing import (
    SIGNATURE,
    UNSAFE,
    sign,
    sign_path,
    signed_text,
    split_signature,
    verify,
)
from fitter.dialects.thumbor.sizes import needs_source

__all__ = [
    "ORIG",
    "SIGNATURE",
    "UNSAFE",
    "Options",
    "ThumborUrl",
    "needs_source",
    "parse",
    "sign",
    "sign_path",
    "signed_text",
    "split_signature",
    "to_plan",
    "verify",
]
