"""STK ephemeris files (``.e``, EphemerisTimePosVel), one per satellite.

ICRF positions and velocities in km and km/s, times in seconds from the ScenarioEpoch (the run's start, UTC).

Only keywords that Orekit's STK ephemeris parser also reads are written, so either tool takes the file.
"""

from __future__ import annotations

import io

import numpy as np

from .base import ExportRun, Folder, check_states, hermite_points, register_format

STK_VERSION = "stk.v.11.0"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def stk_epoch(time) -> str:
    """An astropy Time as STK's UTCG date: '20 Mar 2026 00:00:00.000000'."""
    time = time.utc.copy()
    time.precision = 6
    date, clock = time.isot.split("T")
    year, month, day = date.split("-")
    return f"{int(day)} {MONTHS[int(month) - 1]} {year} {clock}"


@register_format("stk", check=check_states)
def write_stk(run: ExportRun, folder: Folder) -> None:
    """STK ephemeris (NAME.e per satellite): ICRF states at every step, times from the run's start."""
    epoch = stk_epoch(run.epoch)
    points = dict(zip(run.fleet.names, hermite_points(run.fleet, run.step_s)))
    t = run.times
    for eph in run.ephemerides():
        for s, name in enumerate(eph.names):
            rows = np.column_stack([t, eph.r_gcrs[s], eph.v_gcrs[s]])
            body = io.StringIO()
            np.savetxt(body, rows, fmt="%.15e", delimiter=" ")
            text = "\n".join([
                STK_VERSION,
                "BEGIN Ephemeris",
                f"NumberOfEphemerisPoints {len(t)}",
                f"ScenarioEpoch {epoch}",
                "InterpolationMethod Hermite",
                f"InterpolationSamplesM1 {int(points[name]) - 1}",
                "CentralBody Earth",
                "CoordinateSystem ICRF",
                "DistanceUnit Kilometers",
                "",
                "EphemerisTimePosVel",
                "",
                body.getvalue(),
                "END Ephemeris",
                "",
            ])
            folder.write_text(f"{run.stems[name]}.e", text)
