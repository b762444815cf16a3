"""Station scheduling: which of the satellites in view a station's antennas serve.

A scheduler is a behaviour bound to a ground station (role "scheduler"). A satellite's downlink asks the station's
scheduler whether it may use the station now (``admits``) and with which priority it queues for an antenna
(``priority``, lower first, as in ``simpy.PriorityResource``). A scheduler whose decisions change over time sets
``changed``, an event that fires whenever they do, so that waiting satellites look again.
"""

from __future__ import annotations

import numpy as np

from .behaviour import Behaviour, register


class StationScheduler(Behaviour):
    """The base of station schedulers: every satellite may use the station, first come first served."""

    role = "scheduler"
    agents = ("station",)
    changed = None

    def admits(self, satellite, window: int) -> bool:
        """Whether ``satellite`` may use this station now, in its downlink window ``window``."""
        return True

    def priority(self, satellite, window: int) -> float:
        """The priority of ``satellite``'s antenna request in its downlink window ``window`` (lower first)."""
        return 0.0

    def applies(self) -> bool:
        return False


@register("first_come")
class FirstCome(StationScheduler):
    """Serve satellites in the order they ask."""


@register("priority")
class PriorityFirst(StationScheduler):
    """Serve first the satellite holding the highest-priority product."""

    def priority(self, satellite, window: int) -> float:
        return -max((p.priority for p in satellite.on_board()), default=0)


@register("highest_elevation")
class HighestElevation(StationScheduler):
    """Serve first the satellite whose pass climbs highest."""

    def priority(self, satellite, window: int) -> float:
        return -float(satellite.plan.downlink.extra["max_elevation_deg"][window])


def max_weight_assignment(weights: np.ndarray, capacity) -> list[tuple[int, int]]:
    """Pairs (satellite i, station j) that maximise the total weight, each satellite at most once and station j at
    most ``capacity[j]`` times; pairs of weight <= 0 (not in view) are never chosen.

    The stations' antennas become columns of a ``scipy.optimize.linear_sum_assignment`` problem.
    """
    from scipy.optimize import linear_sum_assignment

    weights = np.asarray(weights, dtype=float)
    n_sat, n_st = weights.shape
    cols = np.repeat(np.arange(n_st), np.asarray(capacity, dtype=int))
    if n_sat == 0 or len(cols) == 0:
        return []
    gain = np.where(weights > 0, weights, 0.0)[:, cols]
    rows, picked = linear_sum_assignment(gain, maximize=True)
    return sorted((int(i), int(cols[c])) for i, c in zip(rows, picked) if gain[i, c] > 0)


class _Network:
    """The assignment all ``MaxWeight`` schedulers of a mission share, made again at every change of the set of
    satellite-station pairs in view."""

    def __init__(self, mission):
        self.mission = mission
        self.env = mission.env
        self.allowed: set[tuple[str, str]] = set()
        self.changed = self.env.event()
        self.times = sorted({float(t) for sat in mission.satellites.values()
                             for t in np.concatenate([sat.plan.downlink.start, sat.plan.downlink.end])})

    def assign(self) -> None:
        """Assign satellites to station antennas, each pair weighted by the bits it could move in the rest of the
        pass (what is on board, capped by rate times time left) plus one, so that idle pairs still get antennas."""
        now = self.env.now
        stations = sorted(self.mission.stations)
        column = {name: j for j, name in enumerate(stations)}
        sats = sorted(self.mission.satellites)
        weights = np.zeros((len(sats), len(stations)))
        for i, name in enumerate(sats):
            sat = self.mission.satellites[name]
            if not sat.up():
                continue
            windows = sat.plan.downlink
            bits = sum(p.size_bits for p in sat.on_board())
            for k in windows.open_at(now):
                station = windows.other[k]
                if station not in column or not sat.link_up(station):
                    continue
                cap = sat.downlink_rate(station) * (windows.end[k] - now)
                weights[i, column[station]] = max(weights[i, column[station]], min(bits, cap) + 1.0)
        capacity = [self.mission.stations[s].antennas.capacity for s in stations]
        self.allowed = {(sats[i], stations[j]) for i, j in max_weight_assignment(weights, capacity)}
        event, self.changed = self.changed, self.env.event()
        event.succeed()

    def run(self):
        self.assign()
        for t in self.times:
            if t > self.env.now:
                yield self.env.timeout(t - self.env.now)
                self.assign()


@register("max_weight")
class MaxWeight(StationScheduler):
    """Network-wide assignment of satellites to antennas by maximum-weight matching.

    At every change of the satellite-station pairs in view, a matching over all stations' antennas decides which
    satellite each antenna serves; a pair's weight is the bits it could move in the rest of the pass.
    """

    def start(self) -> None:
        mission = self.agent.mission
        network = mission.shared.get("max_weight")
        if network is None:
            network = mission.shared["max_weight"] = _Network(mission)
            self.spawn(network.run())
        self.network = network

    @property
    def changed(self):
        return self.network.changed

    def admits(self, satellite, window: int) -> bool:
        return (satellite.name, self.agent.name) in self.network.allowed
