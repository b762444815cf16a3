"""What every benchmark script shares: one numpy thread, the repository on the path, best-of timing.

Import it before numpy: the thread limits only take effect if they are set before the BLAS library loads.
"""

import os
import sys
import time
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def best_of(fn, repeat: int = 3):
    """Least wall time (s) of ``repeat`` calls of ``fn``, and the last call's value."""
    times, value = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - t0)
    return min(times), value
