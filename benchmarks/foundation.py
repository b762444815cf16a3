"""Foundation benchmarks: bulk ephemeris, cold start of `constellation run`, contacts for a Walker shell.

Prints wall times and ratios against baselines measured in the same run (machines are shared and noisy):
  (i)   ephemeris of 1,584 satellites x 1,440 epochs (GCRS + ITRS) on one core, against boinor's ``to_ephem``
        (Farnocchia) on 100 of the satellites, scaled to 1,584; target under 1 s and at least 10x faster;
  (ii)  cold start of the README's main command on a 1-day swarm run, against a bare interpreter start and
        against ``import astropy.time, pandas``; target under 5 s;
  (iii) contact windows of the 1,584-satellite shell against 100 stations over one day, against a brute-force
        1-second elevation scan of a subset scaled to the whole; target under 30 s.

Usage: python benchmarks/foundation.py [--skip-boinor]
"""

from __future__ import annotations

from common import ROOT, best_of  # first: pins numpy to one thread before it loads

import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402


from astropy.time import Time  # noqa: E402

from constellation.access import Station, contact_windows  # noqa: E402
from constellation.orbits import Fleet, Member, walker  # noqa: E402

EPOCH = Time("2026-03-20T00:00:00", scale="utc")




def shell_fleet() -> Fleet:
    elements = walker(1584, 72, 1, 550.0, 53.0)
    return Fleet(EPOCH, [Member(f"sat-{i:04d}", elements[i]) for i in range(len(elements))])


def bench_ephemeris(skip_boinor: bool) -> None:
    fleet = shell_fleet()
    t = np.arange(1440) * 60.0
    fleet.ephemeris(t[:2])
    ours = best_of(lambda: fleet.ephemeris(t))[0]
    print(f"(i)   ephemeris 1584 x 1440, GCRS+ITRS: {ours:.3f} s (target < 1 s)")
    if skip_boinor:
        return
    from constellation.orbits.boinor_bridge import reference_ephemeris

    sub = fleet._elements[np.arange(0, 1584, 16)[:100]]
    reference_ephemeris(sub[:1], EPOCH, t[:2], method="farnocchia")
    t0 = time.perf_counter()
    reference_ephemeris(sub, EPOCH, t, method="farnocchia")
    boinor_100 = time.perf_counter() - t0
    boinor_all = boinor_100 * 1584 / 100
    print(
        f"      boinor to_ephem (Farnocchia, GCRS only): {boinor_100:.2f} s for 100 satellites -> "
        f"{boinor_all:.1f} s for 1584; ratio {boinor_all / ours:.0f}x (target >= 10x)"
    )


def bench_cold_start() -> None:
    exe = Path(sys.executable).parent / "constellation"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "constellation.cli"]
    scenario = ROOT / "scenarios" / "soleimani_swarm.yaml"
    bare = best_of(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), 3)[0]
    imports = best_of(
        lambda: subprocess.run([sys.executable, "-c", "import astropy.time, pandas"], check=True), 3
    )[0]
    with tempfile.TemporaryDirectory() as tmp:
        def once():
            subprocess.run(cmd + ["run", str(scenario), "--out", tmp], check=True, capture_output=True, cwd=tmp)

        once()
        cold = best_of(once, 3)[0]
    print(
        f"(ii)  cold start `constellation run soleimani_swarm.yaml` (1 day): {cold:.2f} s (target < 5 s); "
        f"{cold / bare:.0f}x a bare interpreter ({bare:.2f} s), {cold / imports:.1f}x importing astropy.time + "
        f"pandas ({imports:.2f} s)"
    )


def brute_force_passes(fleet: Fleet, stations: list[Station], sats: np.ndarray, step: float = 1.0) -> int:
    """Count passes by sampling elevation every ``step`` seconds: the naive method, as the baseline."""
    pos = np.array([s.itrs for s in stations])
    up = np.array([s.up for s in stations])
    sin_mask = np.sin(np.radians([s.min_elevation_deg for s in stations]))
    count = 0
    t_all = np.arange(0.0, 86400.0 + step, step)
    for i in sats:
        above_prev = None
        for chunk in np.array_split(t_all, 24):
            r = fleet.states(chunk, np.full(len(chunk), i), frame="itrs")[0]
            rho = r[:, None, :] - pos[None]
            rng = np.linalg.norm(rho, axis=-1)
            above = np.sum(rho * up[None], axis=-1) > rng * sin_mask
            if above_prev is not None:
                above = np.vstack([above_prev[None], above])
                count += int(np.sum(above[1:] & ~above[:-1]))
            else:
                count += int(np.sum(above[0])) + int(np.sum(above[1:] & ~above[:-1]))
            above_prev = above[-1]
    return count


def bench_contacts() -> None:
    fleet = shell_fleet()
    rng = np.random.default_rng(7)
    lat = np.degrees(np.arcsin(rng.uniform(-np.sin(np.radians(65)), np.sin(np.radians(65)), 100)))
    stations = [Station(f"gs-{k:03d}", lat[k], rng.uniform(-180, 180), 0.0, 10.0) for k in range(100)]
    t0 = time.perf_counter()
    df = contact_windows(fleet, stations, 0.0, 86400.0)
    ours = time.perf_counter() - t0
    sub = np.arange(0, 1584, 99)
    t0 = time.perf_counter()
    brute_count = brute_force_passes(fleet, stations, sub)
    brute = (time.perf_counter() - t0) * 1584 / len(sub)
    ours_count = int(df["satellite"].isin([fleet.names[i] for i in sub]).sum())
    print(
        f"(iii) contacts 1584 satellites x 100 stations x 1 day: {ours:.1f} s, {len(df)} windows (target < 30 s); "
        f"brute-force 1 s scan scaled from {len(sub)} satellites: {brute:.0f} s, ratio {brute / ours:.1f}x; "
        f"passes on the subset: {ours_count} refined vs {brute_count} brute force"
    )


def main() -> None:
    skip_boinor = "--skip-boinor" in sys.argv
    bench_ephemeris(skip_boinor)
    bench_cold_start()
    bench_contacts()


if __name__ == "__main__":
    main()
