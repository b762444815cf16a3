"""One CSV of every chosen satellite's states: ``ephemeris-FRAME.csv`` in the frame asked for (GCRS or ITRS)."""

from __future__ import annotations

from .base import ExportRun, Folder, check_states, register_format

COLUMNS = ["satellite", "utc", "t_s", "x_km", "y_km", "z_km", "vx_km_s", "vy_km_s", "vz_km_s"]


@register_format("csv", check=check_states)
def write_csv(run: ExportRun, folder: Folder) -> None:
    """CSV of positions and velocities (km, km/s) of every satellite at every step, GCRS or ITRS (--frame)."""
    import numpy as np
    import pandas as pd

    utc = np.char.add(run.time_strings().astype(str), "Z")
    t = run.times
    with folder.target(f"ephemeris-{run.frame}.csv") as tmp:
        with open(tmp, "w", encoding="utf-8", newline="") as handle:
            first = True
            for eph in run.ephemerides():
                r = eph.r_gcrs if run.frame == "gcrs" else eph.r_itrs
                v = eph.v_gcrs if run.frame == "gcrs" else eph.v_itrs
                count = len(eph.names)
                table = pd.DataFrame({
                    "satellite": np.repeat(np.array(eph.names, dtype=object), len(t)),
                    "utc": np.tile(utc, count),
                    "t_s": np.tile(t, count),
                    **{col: r[..., k].ravel() for k, col in enumerate(COLUMNS[3:6])},
                    **{col: v[..., k].ravel() for k, col in enumerate(COLUMNS[6:])},
                })
                table.to_csv(handle, index=False, header=first)
                first = False
