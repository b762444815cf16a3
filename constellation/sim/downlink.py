"""Downlink: a satellite sends what it holds through the stations in view, sharing their antennas."""

from __future__ import annotations

from typing import Literal


import numpy as np
from pydantic import Field

from ..scenario.base import Model
from ..scenario.units import Power
from .behaviour import Behaviour, register
from .scheduling import StationScheduler


@register("downlink")
class Downlink(Behaviour):
    """Send what is on board through the stations in view and in service, one antenna at a time.

    Among the stations whose scheduler admits the satellite and where something on board fits in what is left of
    the pass, it picks one with a free antenna, else the one in view longest, and queues for an antenna with the
    priority the station's scheduler gives. It holds the antenna while data fits, the link is up and the battery can
    pay ``transmitter_power``; with nothing to send it waits for new data or the next change of the passes.
    """

    role = "downlink"

    class Params(Model):
        """Transmitter power while sending, and which product goes first (oldest, or highest priority)."""

        transmitter_power: Power = Field(20.0, ge=0)
        order: Literal["fifo", "priority"] = "fifo"

    def applies(self) -> bool:
        return len(self.agent.plan.downlink) > 0

    def open_windows(self, first: int) -> tuple[list[int], float]:
        """Indices of the passes open now at stations in service that admit the satellite, and the next time that
        set may grow."""
        sat, now = self.agent, self.env.now
        starts, ends, others = self._windows
        usable, wake = [], np.inf
        outages = sat.mission.outages
        screen = self._screen
        stations = sat.mission.stations
        for k in range(first, len(starts)):
            start, end = starts[k], ends[k]
            if start > now:
                if start < wake:
                    wake = start
                break
            if end <= now:
                continue
            if not outages:
                if not screen or stations[others[k]].scheduler.admits(sat, k):
                    usable.append(k)
                elif end < wake:
                    wake = end
                continue
            station = others[k]
            if not sat.link_up(station):
                wake = min(wake, sat.link_up_again(station))
            elif not screen or stations[station].scheduler.admits(sat, k):
                usable.append(k)
            else:
                wake = min(wake, end)
        if outages and not sat.up():
            return [], min(wake, sat.up_again())
        return usable, wake

    def run(self):
        sat, env, prm = self.agent, self.env, self.params
        windows = sat.plan.downlink
        stations = sat.mission.stations
        self._windows = windows.start.tolist(), windows.end.tolist(), list(windows.other)
        dynamic = any(st.scheduler.changed is not None for st in stations.values())
        self._screen = dynamic or any(type(st.scheduler).admits is not StationScheduler.admits
                                      for st in stations.values())
        starts, ends, others = self._windows
        lowest = windows.extra.get("min_rate_bps")
        lowest = [0.0] * len(ends) if lowest is None else [float(x) for x in lowest]
        n = len(ends)
        first = 0
        while first < n:
            while first < n and ends[first] <= env.now:
                first += 1
            usable, wake = self.open_windows(first)
            now = env.now
            has_data = sat.has_data()
            fits = [k for k in usable
                    if (lowest[k] > 0 and sat.anything_fits(lowest[k], ends[k] - now))
                    or sat.anything_fits(sat.downlink_rate(others[k], now), ends[k] - now)] if has_data else []
            if not fits:
                until = min([wake] + [ends[k] for k in usable])
                if not until < np.inf:
                    if first >= n or starts[first] > now:
                        until = starts[first] if first < n else sat.mission.end_s
                    else:
                        break
                if dynamic:
                    yield self._any_change(sat.wait_for_data(until))
                elif has_data and not usable:
                    yield env.timeout(max(0.0, until - now))
                else:
                    yield sat.wait_for_data(until)
                continue
            free = []
            for j in fits:
                antennas = stations[others[j]].antennas
                if antennas.count < antennas.capacity:
                    free.append(j)
            k = max(free or fits, key=lambda j: (ends[j], -j))
            station, end = stations[others[k]], ends[k]
            scheduler = station.scheduler
            starved = False
            with station.antennas.request(priority=scheduler.priority(sat, k)) as req:
                got = yield req | env.timeout(end - env.now)
                if req not in got:
                    continue
                began = env.now
                while env.now < end:
                    if not sat.link_up(station) or not scheduler.admits(sat, k):
                        break
                    rate = sat.downlink_rate(station)
                    left = end - env.now
                    p = sat.next_product(lambda q: rate > 0 and q.size_bits / rate <= left, prm.order)
                    if p is None:
                        break
                    sent = yield from sat.send(p, station, rate, power_w=prm.transmitter_power)
                    if sent == "no_power":
                        sat.log("skip", f"downlink to {station.name}: battery low")
                        starved = True
                        break
                station.busy_s += env.now - began
            if starved:
                yield env.timeout(max(0.0, min(ends[j] for j in fits) - env.now))

    def _any_change(self, wait):
        """``wait`` or a change of any station scheduler's decisions, whichever is first."""
        events = [wait] + list({id(e): e for st in self.agent.mission.stations.values()
                                if (e := st.scheduler.changed) is not None}.values())
        return self.env.any_of(events)
