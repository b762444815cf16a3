"""Topology benchmarks: links and all-pairs station routes for a +grid shell, per step and over a day.

The shell is Walker delta 1156/34/1 at 630 km, 51.9 deg (34 planes of 34), with +grid inter-satellite links and
100 ground stations drawn at random (seeded, uniform in area, |lat| < 60 deg, 10 deg mask). Prints wall times and
ratios against baselines measured in the same run (machines are shared and noisy: best and median of many):
  (a) one time step: ``Network.links_at(t)`` plus ``Network.latency_matrix(t)`` (lowest one-way latency between
      every pair of stations, stations not transiting); target under 20 ms. Baseline: the same 100 x 100 answer
      from networkx, single-source Dijkstra from each station over ``graph_at(t)``; the answers are checked equal.
      Hypatia's published figure for the same shell is quoted, not measured;
  (b) a day at 60 s: ``links_at`` + ``latency_matrix`` at 1,441 steps, keeping every matrix; wall time and the
      process's peak resident memory (target under 2 GiB); then ``link_plan`` over the day (wall time, windows).

Usage: python benchmarks/topology.py [--steps N] [--nx-steps N]
"""

from __future__ import annotations

import common  # noqa: F401  (first: pins numpy to one thread before it loads)

import argparse  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402


from astropy.time import Time  # noqa: E402

from constellation.access import Station  # noqa: E402
from constellation.links import FixedRate  # noqa: E402
from constellation.orbits import Fleet, Member, walker  # noqa: E402
from constellation.topology import LinkConfig, Network  # noqa: E402

EPOCH = Time("2026-03-20T00:00:00", scale="utc")
TOTAL, PLANES, PHASING, ALTITUDE_KM, INCLINATION_DEG = 1156, 34, 1, 630.0, 51.9
N_STATIONS, MAX_LAT_DEG, MASK_DEG, SEED = 100, 60.0, 10.0, 2026
DAY_S, STEP_S = 86400.0, 60.0
HYPATIA_S_PER_STEP = 2.0
"""Hypatia (satgenpy) routing state for this shell with 3 ground stations, per time step: the published figure
quoted in the brief of this benchmark, not measured here."""


def shell_fleet() -> Fleet:
    """The shell with each member's plane and slot set, as ``scenario.Walker.members`` sets them."""
    elements = walker(TOTAL, PLANES, PHASING, ALTITUDE_KM, INCLINATION_DEG)
    per_plane = TOTAL // PLANES
    return Fleet(EPOCH, [
        Member(f"shell-{i // per_plane + 1:02d}-{i % per_plane + 1:02d}", elements[i], "j2", group="shell",
               plane=i // per_plane, slot=i % per_plane)
        for i in range(TOTAL)
    ])


def random_stations(n: int = N_STATIONS, seed: int = SEED) -> list[Station]:
    """``n`` stations uniform in area over |lat| < MAX_LAT_DEG, all with the MASK_DEG elevation mask."""
    rng = np.random.default_rng(seed)
    top = np.sin(np.radians(MAX_LAT_DEG))
    lat = np.degrees(np.arcsin(rng.uniform(-top, top, n)))
    lon = rng.uniform(-180.0, 180.0, n)
    return [Station(f"gs-{k:03d}", float(lat[k]), float(lon[k]), 0.0, MASK_DEG) for k in range(n)]


def shell_network() -> Network:
    config = LinkConfig(downlink=FixedRate(100e6), isl_policy="+grid", isl_model=FixedRate(1e9))
    return Network(shell_fleet(), random_stations(), config)


def maxrss_mib() -> float:
    """Peak resident set size of this process so far, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def networkx_matrix(net: Network, t: float) -> tuple[np.ndarray, float]:
    """Lowest latency between every pair of stations with networkx, stations not transiting.

    From each station, single-source Dijkstra (distances only: cheaper than ``single_source_dijkstra``, which also
    builds paths) over the satellites' graph plus that station; a target station is reached through the cheapest
    of its own links. The satellites' graph is copied once per step, the source station added and removed.
    Returns the matrix and the seconds spent in ``graph_at``.
    """
    import networkx as nx

    t0 = time.perf_counter()
    graph = net.graph_at(t)
    graph_s = time.perf_counter() - t0
    stations = [s.name for s in net.stations]
    sats = graph.subgraph([n for n, kind in graph.nodes(data="kind") if kind != "station"]).copy()
    out = np.full((len(stations), len(stations)), np.inf)
    for i, src in enumerate(stations):
        sats.add_edges_from((src, b, d) for b, d in graph[src].items())
        dist = nx.single_source_dijkstra_path_length(sats, src, weight="delay_s")
        sats.remove_node(src)
        for j, dst in enumerate(stations):
            if i == j:
                out[i, j] = 0.0
                continue
            best = min((dist.get(b, np.inf) + d["delay_s"] for b, d in graph[dst].items()), default=np.inf)
            out[i, j] = best
    return out, graph_s


def bench_step(net: Network, steps: int, nx_steps: int) -> None:
    net.latency_matrix(0.0)  # first call imports scipy.sparse.csgraph
    rng = np.random.default_rng(SEED)
    times = np.sort(rng.uniform(0.0, DAY_S, steps))
    links_s, matrix_s, total_s, n_links = [], [], [], []
    for t in times:
        t0 = time.perf_counter()
        links = net.links_at(t)
        t1 = time.perf_counter()
        net.latency_matrix(t)
        t2 = time.perf_counter()
        links_s.append(t1 - t0)
        matrix_s.append(t2 - t1)
        total_s.append(t2 - t0)
        n_links.append(len(links))
    total = np.array(total_s)
    best, median, p90 = total.min(), np.median(total), np.percentile(total, 90)
    print(f"(a) one step, {TOTAL} satellites (+grid) x {N_STATIONS} stations, links_at + latency_matrix "
          f"({N_STATIONS}x{N_STATIONS}) over {steps} random times:")
    print(f"    best {best * 1e3:.1f} ms, median {median * 1e3:.1f} ms, p90 {p90 * 1e3:.1f} ms (target < 20 ms: "
          f"{'met' if best < 0.020 and median < 0.020 else 'met at best' if best < 0.020 else 'not met'}); "
          f"links_at best {min(links_s) * 1e3:.1f} / median {np.median(links_s) * 1e3:.1f} ms, latency_matrix "
          f"best {min(matrix_s) * 1e3:.1f} / median {np.median(matrix_s) * 1e3:.1f} ms; "
          f"{int(np.median(n_links))} links per step (median)")

    nx_times, graph_times, worst = [], [], 0.0
    for t in times[:nx_steps] + 30.0:  # times of their own, so the baseline builds its links afresh too
        t0 = time.perf_counter()
        theirs, graph_s = networkx_matrix(net, t)
        nx_times.append(time.perf_counter() - t0)
        graph_times.append(graph_s)
        ours = net.latency_matrix(t)
        finite = np.isfinite(ours)
        if not np.array_equal(finite, np.isfinite(theirs)):
            raise AssertionError(f"reachability differs from networkx at t = {t:g} s")
        worst = max(worst, float(np.max(np.abs(ours[finite] - theirs[finite]), initial=0.0)))
    nx_best, nx_median = min(nx_times), float(np.median(nx_times))
    print(f"    networkx baseline (graph_at + {N_STATIONS} single-source Dijkstras), {nx_steps} steps: best "
          f"{nx_best:.2f} s, median {nx_median:.2f} s (graph_at alone {min(graph_times) * 1e3:.0f} ms); ratio "
          f"{nx_best / best:.0f}x best to best, {nx_median / median:.0f}x median to median; same answers "
          f"(max |diff| {worst:.1e} s)")
    print(f"    Hypatia (satgenpy), literature figure, not measured here: ~{HYPATIA_S_PER_STEP:g} s per step for this "
          f"shell with 3 stations, {HYPATIA_S_PER_STEP / median:.0f}x our median step with {N_STATIONS} stations")


def bench_day(net: Network) -> None:
    times = np.arange(0.0, DAY_S + STEP_S / 2, STEP_S)
    rss_before = maxrss_mib()
    matrices = np.empty((len(times), N_STATIONS, N_STATIONS))
    n_links = 0
    t0 = time.perf_counter()
    for k, t in enumerate(times):
        n_links += len(net.links_at(t))
        matrices[k] = net.latency_matrix(t)
    day = time.perf_counter() - t0
    rss_loop = maxrss_mib()
    off = ~np.eye(N_STATIONS, dtype=bool)
    reachable = float(np.mean(np.isfinite(matrices[:, off])))
    median_ms = float(np.median(matrices[:, off][np.isfinite(matrices[:, off])])) * 1e3
    print(f"(b) a day at {STEP_S:g} s, {len(times)} steps of links_at + latency_matrix: {day:.1f} s "
          f"({day / len(times) * 1e3:.1f} ms per step), {n_links / len(times):.0f} links per step, "
          f"station pairs reachable {reachable:.1%}, median one-way latency {median_ms:.1f} ms")
    print(f"    peak resident memory {rss_loop:.0f} MiB (target < 2048 MiB: "
          f"{'met' if rss_loop < 2048 else 'not met'}); {rss_before:.0f} MiB before the loop, the "
          f"{matrices.nbytes / 2**20:.0f} MiB of kept matrices included")
    t0 = time.perf_counter()
    plan = net.link_plan(0.0, DAY_S)
    plan_s = time.perf_counter() - t0
    kinds = ", ".join(f"{k} {v}" for k, v in plan["kind"].value_counts().sort_index().items())
    print(f"    link_plan over the day: {plan_s:.1f} s, {len(plan)} windows ({kinds}); peak resident memory "
          f"{maxrss_mib():.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300, help="random time steps for (a)")
    parser.add_argument("--nx-steps", type=int, default=5, help="of those, steps for the networkx baseline")
    args = parser.parse_args()
    net = shell_network()
    bench_step(net, args.steps, args.nx_steps)
    bench_day(net)


if __name__ == "__main__":
    main()
