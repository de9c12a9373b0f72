"""What the hall benchmark's modules share: paths, the loopback host, the error that stops
the run, progress lines and latency statistics.

bench/hall.py puts bench/ on sys.path, so these modules import each other by plain name. They
import only the standard library at module level: hall.py re-runs itself under the virtualenv
(ensure_venv) after importing them, and Django is set up only once the environment is ready.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

from benchlib import ROOT

BIZWEEK = ROOT / ".venv" / "bin" / "bizweek"
HOST = "127.0.0.1"


class BenchError(Exception):
    """The benchmark cannot run."""


STARTED = time.monotonic()  # progress lines and the results' duration_s count from here


def say(message: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.1f}s] {message}", flush=True)


# --- statistics ----------------------------------------------------------------------------


def percentile(sorted_values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not sorted_values:
        return float("nan")
    k = (len(sorted_values) - 1) * p / 100
    low = int(k)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (k - low)


def summary(seconds: list[float]) -> dict[str, Any]:
    if not seconds:
        return {"n": 0}
    ms = sorted(s * 1000 for s in seconds)
    return {
        "n": len(ms),
        "min_ms": round(ms[0], 2),
        "p50_ms": round(percentile(ms, 50), 2),
        "p90_ms": round(percentile(ms, 90), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "max_ms": round(ms[-1], 2),
        "mean_ms": round(sum(ms) / len(ms), 2),
    }


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or not b:
        return None
    return round(a / b, 2)


def median_int(values: list[int]) -> int:
    return sorted(values)[len(values) // 2] if values else 0


# --- what ran ------------------------------------------------------------------------------


def tree_fingerprint(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
