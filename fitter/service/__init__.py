"""The service: from a Plan to an answer (`service.Service`), split by job.

`pool` (the bounded image pool), `originals` (the source side: versions, headers, size
limits), `naming` (variant names in the store), `variants` (the cache store's records and
the store), `generation` (making a variant once, here and across processes), `executor`
(generation outside the request), `events` (what metrics and logs observe) and
`target` (the values handed out).
"""

from fitter.service.events import Events, Layer, Quiet
from fitter.service.executor import Executor, InProcessExecutor
from fitter.service.originals import Opened
from fitter.service.pool import ImagePool
from fitter.service.service import Service
from fitter.service.target import Found, Pending, Target

__all__ = [
    "Events",
    "Executor",
    "Found",
    "ImagePool",
    "InProcessExecutor",
    "Layer",
    "Opened",
    "Pending",
    "Quiet",
    "Service",
    "Target",
]
