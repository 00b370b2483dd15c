"""Measuring one call in microseconds, fairly, on a busy 2-core machine.

Each case runs its callables interleaved (A, B, C, A, B, C, ...) in rounds, so a burst of
background load hits all of them alike; the figure kept is the median of the rounds.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable


def calibrate(fn: Callable[[], object], target_s: float = 0.02) -> int:
    """How many calls take about ``target_s``: enough to dwarf the timer's resolution."""
    n = 1
    while True:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= target_s or n >= 1_000_000:
            return max(1, int(n * target_s / max(elapsed, 1e-9)))
        n *= 4


def per_call_us(
    candidates: dict[str, Callable[[], object]], rounds: int = 15, target_s: float = 0.02
) -> dict[str, float]:
    """Median microseconds per call of each candidate, measured interleaved."""
    loops = {name: calibrate(fn, target_s) for name, fn in candidates.items()}
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    gc_was_enabled = gc.isenabled()
    gc.disable()  # a collection landing in one candidate's round would skew only that one
    try:
        for _ in range(rounds):
            for name, fn in candidates.items():
                n = loops[name]
                start = time.perf_counter_ns()
                for _ in range(n):
                    fn()
                samples[name].append((time.perf_counter_ns() - start) / n / 1000)
            gc.collect()
    finally:
        if gc_was_enabled:
            gc.enable()
    return {name: statistics.median(values) for name, values in samples.items()}
