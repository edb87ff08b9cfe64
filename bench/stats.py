"""Percentiles and the printed tables the benchmarks share."""
from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_row(label: str, seconds: Sequence[float], ps=(50, 95, 99)) -> str:
    cells = "  ".join(f"p{p} {percentile(seconds, p) * 1000:7.0f} ms" for p in ps)
    return f"{label:<34} n={len(seconds):<4} {cells}"


def rate_row(label: str, count: int, seconds: float, unit: str) -> str:
    return f"{label:<34} {count / seconds:7.2f} {unit}  ({count} in {seconds:.1f} s)"


def verdict(value: float, target: float, *, at_least: bool = True) -> str:
    met = value >= target if at_least else value <= target
    sign = ">=" if at_least else "<="
    return f"(target {sign} {target:g}: {'met' if met else 'MISSED'})"
