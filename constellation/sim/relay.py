"""The relay: satellites send up to it while it is in view and a channel is free; it feeds what it holds down."""

from __future__ import annotations

from typing import Literal

from pydantic import Field


from ..scenario.base import Model
from ..scenario.units import Power
from .behaviour import Behaviour, register


@register("relay_uplink")
class RelayUplink(Behaviour):
    """Send products up to the relay while it is in view and one of its channels is free.

    In each relay window the satellite waits for data that fits in what is left of it, asks for a channel, and sends
    at the window's rate while data fits, the link is up and the battery can pay ``transmitter_power``.
    """

    role = "relay_uplink"

    class Params(Model):
        """Transmitter power while sending, and which product goes first (oldest, or highest priority)."""

        transmitter_power: Power = Field(20.0, ge=0)
        order: Literal["fifo", "priority"] = "fifo"

    def applies(self) -> bool:
        return self.agent.mission.relay is not None and len(self.agent.plan.relay) > 0

    def run(self):
        sat, env, prm = self.agent, self.env, self.params
        relay = sat.mission.relay
        windows = sat.plan.relay
        rates = windows.extra["rate_bps"]
        for k in range(len(windows)):
            start, end = float(windows.start[k]), float(windows.end[k])
            rate = float(rates[k])
            if end <= env.now or rate <= 0:
                continue
            if start > env.now:
                yield env.timeout(start - env.now)
            while env.now < end:
                while env.now < end and not sat.anything_fits(rate, end - env.now):
                    yield sat.wait_for_data(end)
                if env.now >= end:
                    break
                if not sat.link_up(relay):
                    yield env.timeout(min(sat.link_up_again(relay), end) - env.now)
                    continue
                starved = False
                with relay.channels.request() as req:
                    got = yield req | env.timeout(end - env.now)
                    if req not in got:
                        break
                    began = env.now
                    while env.now < end:
                        left = end - env.now
                        p = sat.next_product(lambda q: q.size_bits / rate <= left, prm.order)
                        if p is None or not sat.link_up(relay):
                            break
                        sent = yield from sat.send(p, relay, rate, power_w=prm.transmitter_power)
                        if sent == "no_power":
                            starved = True
                            break
                    relay.busy_s += env.now - began
                if starved:
                    break


@register("relay_feeder")
class RelayFeeder(Behaviour):
    """The relay forwards what it holds to its feeder station(s), in order of arrival, in its feeder windows."""

    role = "relay_feeder"
    agents = ("relay",)

    def applies(self) -> bool:
        return self.agent.feeder is not None and len(self.agent.feeder) > 0

    def run(self):
        relay, env = self.agent, self.env
        stations = relay.mission.stations
        feeder = relay.feeder
        k = 0
        while k < len(feeder):
            start, end = float(feeder.start[k]), float(feeder.end[k])
            station = stations[feeder.other[k]]
            rate = float(feeder.extra["rate_bps"][k])
            if end <= env.now:
                k += 1
                continue
            if start > env.now:
                yield env.timeout(start - env.now)
            if not relay.held:
                yield relay.arrival | env.timeout(end - env.now)
                continue
            if not relay.link_up(station):
                yield env.timeout(max(1e-3, min(relay.link_up_again(station), end) - env.now))
                continue
            p = relay.held[0]
            if env.now + p.size_bits / rate > end:
                k += 1
                continue
            yield from relay.send(p, station, rate)
