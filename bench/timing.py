"""One loop for the in-process limits: N threads doing numbered work for S seconds.

Pure standard library, so both fitter's Python (pyvips) and thumbor's (Pillow) can use it.
"""

from __future__ import annotations

import resource
import threading
import time
from collections.abc import Callable


def images_per_second(
    work: Callable[[int], object], threads: int, seconds: float
) -> dict[str, float]:
    """Images per second with `threads` threads looping for `seconds`, after one warm-up.

    Work number n is handed out once, so the threads together do the same distinct
    sequence a server gets from wrk.
    """
    work(0)
    counter = iter(range(1, 1 << 40))
    lock = threading.Lock()
    done = [0] * threads
    deadline = time.perf_counter() + seconds

    def loop(index: int) -> None:
        while time.perf_counter() < deadline:
            with lock:
                n = next(counter)
            work(n)
            done[index] += 1

    started, cpu_before = time.perf_counter(), cpu_seconds()
    workers = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed, cpu = time.perf_counter() - started, cpu_seconds() - cpu_before
    images = sum(done)
    return {
        "images": images,
        "seconds": elapsed,
        "per_second": images / elapsed,
        # CPU time, not wall time: comparable with a server's even on a busy machine.
        "cpu_ms_per_image": cpu * 1000 / images if images else 0.0,
    }


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
