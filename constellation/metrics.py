"""Mission metrics from tables: revisit, coverage, latency, throughput, utilisation."""

from __future__ import annotations

import numpy as np


def revisit(times, start_s: float, end_s: float) -> dict:
    """Revisit statistics of events at ``times`` over [start_s, end_s].

    ``mean_s``, ``p50_s``, ``p90_s`` and ``max_s`` describe the gaps between successive events; ``max_gap_s`` also
    counts the wait from the start to the first event and from the last to the end.
    """
    t = np.sort(np.asarray(times, dtype=float))
    gaps = np.diff(t)
    edges = np.diff(np.concatenate([[start_s], t, [end_s]]))
    return {
        "count": int(len(t)),
        "first_s": float(t[0] - start_s) if len(t) else float("nan"),
        "mean_s": float(gaps.mean()) if len(gaps) else float("nan"),
        "p50_s": float(np.percentile(gaps, 50)) if len(gaps) else float("nan"),
        "p90_s": float(np.percentile(gaps, 90)) if len(gaps) else float("nan"),
        "max_s": float(gaps.max()) if len(gaps) else float("nan"),
        "max_gap_s": float(edges.max()),
    }


def latency(values) -> dict:
    """Summary of latencies (s): count, mean, median, 90th percentile and maximum."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return {"count": 0, "mean_s": float("nan"), "p50_s": float("nan"), "p90_s": float("nan"),
                "max_s": float("nan")}
    return {"count": int(len(v)), "mean_s": float(v.mean()), "p50_s": float(np.percentile(v, 50)),
            "p90_s": float(np.percentile(v, 90)), "max_s": float(v.max())}


def coverage(captured: set, targets: list) -> float:
    """Fraction of ``targets`` (names) captured at least once."""
    return len(captured & set(targets)) / len(targets) if targets else float("nan")


def format_duration(seconds) -> str:
    """A duration for people: seconds below two minutes, minutes below two hours, hours above; '-' for none."""
    if seconds is None or not np.isfinite(seconds):
        return "-"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"
