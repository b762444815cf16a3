"""The mission as SimPy processes: every satellite images, collects, stores, powers and transmits on its own.

Geometry arrives as a plan of windows (station contacts, targets in view, eclipses, relay and feeder links, terminal
passes); each process sleeps until the next window that matters to it. Station antennas and relay channels are
``simpy.PriorityResource``/``Resource`` objects, onboard storage and the battery ``Container``s. Every hop a product
makes goes through ``Mission.send``: the transmission time plus the light time over the range between the two nodes
at the instant sending starts (``ranges.Ranges``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import simpy

from ..constants import C_KM_S
from .faults import Outages
from .power import Battery
from .products import IN_TRANSIT, ON_BOARD, Ledger, Product


@dataclass
class Windows:
    """Time windows of one kind for one node, sorted by start, with what each window is to (``other``)."""

    start: np.ndarray
    end: np.ndarray
    other: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_frame(cls, df, start="start_s", end="end_s", other=None, **extra):
        if df is None or len(df) == 0:
            return cls(np.zeros(0), np.zeros(0), [], {k: np.zeros(0) for k in extra})
        df = df.sort_values([start, end], kind="stable")
        return cls(
            df[start].to_numpy(float), df[end].to_numpy(float),
            [] if other is None else df[other].tolist(),
            {k: df[col].to_numpy() for k, col in extra.items()},
        )

    def __len__(self) -> int:
        return len(self.start)


@dataclass
class SatellitePlan:
    """Everything one satellite's processes wait for."""

    downlink: Windows
    targets: Windows
    eclipses: Windows
    relay: Windows


@dataclass
class Policy:
    """Mission parameters the processes need, in SI units."""

    storage_bits: float
    image_bits: float
    capture_s: float
    imaging_w: float
    transmitter_w: float
    downlink_policy: str
    antennas: int
    relay_channels: int
    battery_wh: float
    initial_charge: float
    solar_w: float
    bus_w: float
    min_charge: float


class Mission:
    """One run of the mission: build it from a plan, ``run()`` it, then read the ledger and the counters.

    ``ranges`` gives the range between any two nodes at a moment (``ranges.Ranges``: ``range_km(a, b, t)``), from
    which every hop's light time follows. ``router`` (optional) gives the inter-satellite hops (from, to, depart,
    rate) of a new product's fastest way down.
    """

    def __init__(self, policy: Policy, plans: dict[str, SatellitePlan], stations: list[str], relay: str | None,
                 feeder: Windows | None, downlink_rate, outages: Outages, end_s: float, router=None, *, ranges):
        self.env = simpy.Environment()
        self.router = router
        self.ranges = ranges
        self.policy = policy
        self.plans = plans
        self.outages = outages
        self.end_s = end_s
        self.ledger = Ledger()
        self.downlink_rate = downlink_rate
        self.antennas = {s: simpy.PriorityResource(self.env, capacity=policy.antennas) for s in stations}
        self.relay = relay
        self.relay_channels = simpy.Resource(self.env, capacity=policy.relay_channels) if relay else None
        self.relay_store: list[Product] = []
        self.relay_arrival = self.env.event()
        self.feeder = feeder
        self.storage = {}
        self.battery = {}
        self.queue: dict[str, list[Product]] = {}
        self.new_data: dict[str, simpy.Event] = {}
        self.high_water = {}
        self.station_bits = {s: 0.0 for s in stations}
        self.station_busy_s = {s: 0.0 for s in stations}
        self.relay_busy_s = 0.0
        self.relay_bits = 0.0
        self.pending: dict[str, int] = {}
        for name in plans:
            self.storage[name] = simpy.Container(self.env, capacity=policy.storage_bits, init=0.0)
            self.battery[name] = Battery(self.env, policy.battery_wh, policy.initial_charge, policy.solar_w,
                                         policy.bus_w, policy.min_charge)
            self.queue[name] = []
            self.new_data[name] = self.env.event()
            self.high_water[name] = 0.0

    # --- storage -------------------------------------------------------------------------------------------------

    def store(self, sat: str, p: Product, forwarded: bool = False) -> bool:
        """Put a product on board ``sat``, or drop it when storage is full.

        A new product whose fastest way down crosses inter-satellite links sets off along them (``forward``).
        """
        box = self.storage[sat]
        if box.level + p.size_bits > box.capacity:
            p.holder = sat
            self.ledger.drop(p, self.env.now, "storage_full")
            return False
        box.put(p.size_bits)
        self.high_water[sat] = max(self.high_water[sat], box.level)
        p.holder, p.state = sat, ON_BOARD
        if p.path[-1] != sat:
            p.path.append(sat)
        self.queue[sat].append(p)
        event, self.new_data[sat] = self.new_data[sat], self.env.event()
        event.succeed()
        if self.router is not None and not forwarded:
            hops = self.router(sat, self.env.now, p.size_bits)
            if hops:
                self.env.process(self.forward(p, hops))
        return True

    # --- moving products -----------------------------------------------------------------------------------------

    def send(self, p: Product, src: str, dst: str, rate_bps: float, kind: str):
        """Carry ``p`` from ``src`` to ``dst`` (a SimPy generator: ``yield from self.send(...)``), then log the hop.

        ``kind`` is one of ``products.HOP_KINDS``. Marks the product in transit and waits its transmission time at
        ``rate_bps`` plus the light time over the range between the two nodes at this instant, when the transmission
        starts; logs the hop (``Ledger.hop``) when its last bit lands. The caller then hands the product to ``dst``
        (stores or delivers it). An arrival after the end of the run never happens: the product is then
        still in transit and counts as on board.
        """
        sent = self.env.now
        range_km = self.ranges.range_km(src, dst, sent)
        if not (np.isfinite(range_km) and rate_bps > 0):
            raise ValueError(f"{kind} {src} -> {dst} at {sent} s: no range ({range_km}) or no rate ({rate_bps})")
        p.state = IN_TRANSIT
        yield self.env.timeout(p.size_bits / rate_bps + range_km / C_KM_S)
        self.ledger.hop(p, kind, src, dst, sent, self.env.now, range_km)

    def forward(self, p: Product, hops: list[tuple[str, str, float, float]]):
        """Carry a product across inter-satellite links from the times its route gives, unless it left meanwhile.

        Each hop leaves at its planned departure and takes its transmission time at the link's rate plus the light
        time at that moment (at most the window's planned delay, so it arrives in time for the next departure).
        """
        for a, b, depart, rate in hops:
            if depart > self.env.now:
                yield self.env.timeout(depart - self.env.now)
            if p.state != ON_BOARD or p.holder != a or self.outages.link_down(a, b, self.env.now):
                return
            yield from self.send(p, a, b, rate, "isl")
            self.take(a, p)
            if not self.store(b, p, forwarded=True):
                return

    def take(self, sat: str, p: Product) -> None:
        self.queue[sat].remove(p)
        self.storage[sat].get(p.size_bits)

    def _order(self, products: list[Product]) -> list[Product]:
        if self.policy.downlink_policy == "priority":
            return sorted(products, key=lambda p: (-p.priority, p.created_s, p.id))
        return sorted(products, key=lambda p: (p.created_s, p.id))

    def _next_product(self, sat: str, fits) -> Product | None:
        for p in self._order([q for q in self.queue[sat] if q.state == ON_BOARD]):
            if fits(p):
                return p
        return None

    def _wait_for_data(self, sat: str, until: float):
        """An event that fires when new data lands on ``sat`` or at ``until``, whichever is first."""
        return self.new_data[sat] | self.env.timeout(max(0.0, until - self.env.now))

    # --- processes -----------------------------------------------------------------------------------------------

    def imaging(self, sat: str, targets: Windows, priorities: dict[str, int]):
        """Capture each target at its best moment in view, if the satellite is up, powered and has room."""
        pol = self.policy
        battery = self.battery[sat]
        for k in np.argsort(targets.extra["best_s"], kind="stable"):
            best = float(targets.extra["best_s"][k])
            end = float(targets.end[k])
            at = max(best, self.env.now)
            if at > end:
                continue
            if at > self.env.now:
                yield self.env.timeout(at - self.env.now)
            target = targets.other[k]
            p = self.ledger.new("image", target, self.env.now, pol.image_bits, priorities.get(target, 1), sat, sat)
            if self.outages.down(sat, self.env.now):
                self.ledger.drop(p, self.env.now, "failure")
                continue
            if not battery.draw(pol.imaging_w * pol.capture_s):
                self.ledger.drop(p, self.env.now, "power")
                continue
            if self.store(sat, p):
                self.ledger.log(self.env.now, sat, "capture", f"{target} image {p.id}", p.id)
            yield self.env.timeout(pol.capture_s)

    def collect(self, terminal: str, created: np.ndarray, passes: Windows, size_bits: float, priority: int,
                uplink_bps: float):
        """A ground terminal's messages wait until a satellite in service passes over, then go up to it.

        A message's uplink starts as soon as a satellite is found (its own ``uplink`` process, so messages that
        waited for the same pass go up together, as when collection was instantaneous) and reaches the satellite
        its transmission time at ``uplink_bps`` plus the light time later. It becomes a product when its uplink
        starts (created at its creation time); messages still waiting at the end are counted as pending at the
        terminal, not as products.
        """
        self.pending[terminal] = 0
        for t0 in created:
            best, sat = np.inf, None
            for k in np.nonzero(passes.end > t0)[0]:
                at = max(float(t0), float(passes.start[k]))
                name = passes.other[k]
                while at < passes.end[k] and self.outages.link_down(name, terminal, at):
                    at = self.outages.link_up_again(name, terminal, at)
                if at < passes.end[k] and at < best:
                    best, sat = at, name
                if passes.start[k] > best:
                    break
            if sat is None or best >= self.end_s:
                self.pending[terminal] += 1
                continue
            if best > self.env.now:
                yield self.env.timeout(best - self.env.now)
            p = self.ledger.new("message", terminal, float(t0), size_bits, priority, sat, terminal)
            p.path = [terminal]
            self.env.process(self.uplink(p, terminal, sat, uplink_bps))

    def uplink(self, p: Product, terminal: str, sat: str, uplink_bps: float):
        """One message from a terminal up to a satellite, stored there (or dropped when it is full) on arrival."""
        yield from self.send(p, terminal, sat, uplink_bps, "uplink")
        self.store(sat, p)

    def power(self, sat: str, eclipses: Windows):
        """Switch the array off and on at every eclipse boundary."""
        battery = self.battery[sat]
        for start, end in zip(eclipses.start, eclipses.end):
            if start > self.env.now:
                yield self.env.timeout(start - self.env.now)
            battery.set_sunlit(False)
            if end > self.env.now:
                yield self.env.timeout(end - self.env.now)
            battery.set_sunlit(True)

    def _open_windows(self, sat: str, windows: Windows, first: int) -> tuple[list[int], float]:
        """Indices of the windows open now at stations in service, and the next time that set may grow."""
        now = self.env.now
        usable, wake = [], np.inf
        for k in range(first, len(windows)):
            start, end = windows.start[k], windows.end[k]
            if start > now:
                wake = min(wake, start)
                break
            if end <= now:
                continue
            station = windows.other[k]
            if self.outages.link_down(sat, station, now):
                wake = min(wake, self.outages.link_up_again(sat, station, now))
            else:
                usable.append(k)
        if self.outages.down(sat, now):
            return [], min(wake, self.outages.up_again(sat, now))
        return usable, wake

    def downlink(self, sat: str, windows: Windows):
        """Send what is on board through the stations in view, sharing each station's antennas by the policy.

        Among the stations in view and in service, the satellite picks one with a free antenna, else the one in view
        longest; it holds an antenna only while it has data that fits in what is left of the pass.
        """
        pol = self.policy
        battery = self.battery[sat]
        first = 0
        while first < len(windows):
            while first < len(windows) and windows.end[first] <= self.env.now:
                first += 1
            usable, wake = self._open_windows(sat, windows, first)
            now = self.env.now
            fits = [k for k in usable
                    if self._anything_fits(sat, self.downlink_rate(sat, windows.other[k], now), windows.end[k] - now)
                    ] if self._has_data(sat) else []
            if not fits:
                until = min([wake] + [windows.end[k] for k in usable])
                if not np.isfinite(until):
                    if first >= len(windows) or windows.start[first] > now:
                        until = windows.start[first] if first < len(windows) else self.end_s
                    else:
                        break
                if self._has_data(sat) and not usable:
                    yield self.env.timeout(max(0.0, until - now))
                else:
                    yield self._wait_for_data(sat, until)
                continue
            free = [k for k in fits if self.antennas[windows.other[k]].count < pol.antennas]
            k = max(free or fits, key=lambda j: (windows.end[j], -j))
            station, end = windows.other[k], float(windows.end[k])
            if pol.downlink_policy == "priority":
                prio = -max((p.priority for p in self.queue[sat] if p.state == ON_BOARD), default=0)
            elif pol.downlink_policy == "highest_elevation":
                prio = -float(windows.extra["max_elevation_deg"][k])
            else:
                prio = 0
            starved = False
            with self.antennas[station].request(priority=prio) as req:
                got = yield req | self.env.timeout(end - self.env.now)
                if req not in got:
                    continue
                began = self.env.now
                while self.env.now < end:
                    if self.outages.link_down(sat, station, self.env.now):
                        break
                    rate = self.downlink_rate(sat, station, self.env.now)
                    left = end - self.env.now
                    p = self._next_product(sat, lambda q: rate > 0 and q.size_bits / rate <= left)
                    if p is None:
                        break
                    tx = p.size_bits / rate
                    if not battery.draw(pol.transmitter_w * tx):
                        self.ledger.log(self.env.now, sat, "skip", f"downlink to {station}: battery low")
                        starved = True
                        break
                    yield from self.send(p, sat, station, rate, "downlink")
                    self.take(sat, p)
                    self.station_bits[station] += p.size_bits
                    self.ledger.deliver(p, self.env.now, station)
                self.station_busy_s[station] += self.env.now - began
            if starved:
                yield self.env.timeout(max(0.0, min(windows.end[j] for j in fits) - self.env.now))

    def _has_data(self, sat: str) -> bool:
        return any(p.state == ON_BOARD for p in self.queue[sat])

    def _anything_fits(self, sat: str, rate: float, left: float) -> bool:
        return any(p.state == ON_BOARD and p.size_bits / rate <= left for p in self.queue[sat])

    def relay_uplink(self, sat: str, windows: Windows):
        """Send products up to the relay while it is in view and a channel is free."""
        pol = self.policy
        battery = self.battery[sat]
        rates = windows.extra["rate_bps"]
        for k in range(len(windows)):
            start, end = float(windows.start[k]), float(windows.end[k])
            rate = float(rates[k])
            if end <= self.env.now or rate <= 0:
                continue
            if start > self.env.now:
                yield self.env.timeout(start - self.env.now)
            while self.env.now < end:
                while self.env.now < end and not self._anything_fits(sat, rate, end - self.env.now):
                    yield self._wait_for_data(sat, end)
                now = self.env.now
                if now >= end:
                    break
                if self.outages.link_down(sat, self.relay, now):
                    resume = self.outages.link_up_again(sat, self.relay, now)
                    yield self.env.timeout(min(resume, end) - now)
                    continue
                starved = False
                with self.relay_channels.request() as req:
                    got = yield req | self.env.timeout(end - self.env.now)
                    if req not in got:
                        break
                    began = self.env.now
                    while self.env.now < end:
                        left = end - self.env.now
                        p = self._next_product(sat, lambda q: q.size_bits / rate <= left)
                        if p is None or self.outages.link_down(sat, self.relay, self.env.now):
                            break
                        tx = p.size_bits / rate
                        if not battery.draw(pol.transmitter_w * tx):
                            starved = True
                            break
                        yield from self.send(p, sat, self.relay, rate, "relay_up")
                        self.take(sat, p)
                        self.relay_bits += p.size_bits
                        p.holder, p.state = self.relay, ON_BOARD
                        p.path.append(self.relay)
                        self.relay_store.append(p)
                        event, self.relay_arrival = self.relay_arrival, self.env.event()
                        event.succeed()
                    self.relay_busy_s += self.env.now - began
                if starved:
                    break

    def relay_feeder(self):
        """The relay forwards what it holds to its feeder station(s) in order of arrival."""
        feeder = self.feeder
        k = 0
        while k < len(feeder):
            start, end = float(feeder.start[k]), float(feeder.end[k])
            station = feeder.other[k]
            rate = float(feeder.extra["rate_bps"][k])
            if end <= self.env.now:
                k += 1
                continue
            if start > self.env.now:
                yield self.env.timeout(start - self.env.now)
            if not self.relay_store:
                yield self.relay_arrival | self.env.timeout(end - self.env.now)
                continue
            if self.outages.link_down(self.relay, station, self.env.now):
                later = self.outages.link_up_again(self.relay, station, self.env.now)
                yield self.env.timeout(max(1e-3, min(later, end) - self.env.now))
                continue
            p = self.relay_store[0]
            tx = p.size_bits / rate
            if self.env.now + tx > end:
                k += 1
                continue
            yield from self.send(p, self.relay, station, rate, "feeder")
            self.relay_store.pop(0)
            self.station_bits[station] += p.size_bits
            self.ledger.deliver(p, self.env.now, station)

    def start(self, terminals: dict | None = None, priorities: dict | None = None) -> None:
        for sat in sorted(self.plans):
            plan = self.plans[sat]
            if len(plan.eclipses):
                self.env.process(self.power(sat, plan.eclipses))
            if len(plan.targets):
                self.env.process(self.imaging(sat, plan.targets, priorities or {}))
            if len(plan.downlink):
                self.env.process(self.downlink(sat, plan.downlink))
            if self.relay and len(plan.relay):
                self.env.process(self.relay_uplink(sat, plan.relay))
        if self.relay and self.feeder is not None and len(self.feeder):
            self.env.process(self.relay_feeder())
        for name, (created, passes, size, prio, uplink_bps) in sorted((terminals or {}).items()):
            self.env.process(self.collect(name, created, passes, size, prio, uplink_bps))

    def run(self) -> None:
        self.env.run(until=self.end_s)
        for sat, battery in self.battery.items():
            battery.settle()
        for p in self.ledger.products:
            if p.state == IN_TRANSIT:
                p.state = ON_BOARD
