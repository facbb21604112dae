"""Timing helpers shared by benchmark areas."""

from __future__ import annotations

import math
import time
from collections.abc import Callable


def measure(fn: Callable[[], object], *, repeat: int, warmup: int = 3) -> list[float]:
    """Call `fn` `warmup` times untimed, then `repeat` times; each call's duration in ms."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def percentile(samples: list[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0–100) of `samples`, rounded to 0.01 ms."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return round(ordered[rank - 1], 2)


def p50_p95(prefix: str, samples: list[float]) -> dict[str, float]:
    """`{prefix}_p50_ms` and `{prefix}_p95_ms` for `samples`."""
    return {
        f"{prefix}_p50_ms": percentile(samples, 50),
        f"{prefix}_p95_ms": percentile(samples, 95),
    }
