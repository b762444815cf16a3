"""The agents of a mission: satellites, ground stations, the relay and messaging terminals.

Each agent owns what others contend for as SimPy primitives (storage and battery ``Container``s, antennas and relay
channels as ``PriorityResource``/``Resource``) and its own view of the plan. Products move between agents only through
``Agent.send``, along the hops ``HOPS`` allows; the receiving agent takes what arrives in its ``receive`` and the sender
lets go of what left in ``release``.
"""

from __future__ import annotations

from typing import Callable

import simpy

from ..constants import C_KM_S
from .plan import SatellitePlan, Windows
from .power import Battery
from .products import DELIVERED, DROPPED, IN_TRANSIT, ON_BOARD, Product

__all__ = ["HOPS", "Agent", "GroundStation", "Relay", "Satellite", "Terminal", "SendResult"]

HOPS = {("terminal", "satellite"): "uplink", ("satellite", "satellite"): "isl", ("satellite", "relay"): "relay_up",
        ("relay", "station"): "feeder", ("satellite", "station"): "downlink"}
"""The kind of hop (``products.HOP_KINDS``) a send from one kind of agent to another makes."""


class SendResult(str):
    """How a ``send`` ended: "stored", "delivered", "dropped" (no room at the receiver), "link_down" or
    "no_power" (nothing sent); true only when the product reached the receiver's hands."""

    def __bool__(self) -> bool:
        return self in ("stored", "delivered")


class Agent:
    """A node of the mission: its name, its SimPy environment, the mission it belongs to and its behaviours."""

    kind = ""

    def __init__(self, mission, name: str):
        self.mission = mission
        self.env: simpy.Environment = mission.env
        self.name = name
        self.behaviours: list = []

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"

    @property
    def now(self) -> float:
        return self.env.now

    def behaviour(self, role: str):
        """The behaviour of ``role`` bound to this agent, or None."""
        return next((b for b in self.behaviours if b.role == role), None)

    # --- service ---------------------------------------------------------------------------------------------------

    def up(self) -> bool:
        """Whether this agent is in service now."""
        out = self.mission.outages
        return not out or not out.down(self.name, self.env.now)

    def up_again(self) -> float:
        """The first time from now when this agent is in service."""
        return self.mission.outages.up_again(self.name, self.env.now)

    def link_up(self, other: Agent | str, t: float | None = None) -> bool:
        """Whether the link to ``other`` and both its ends are in service at ``t`` (default now)."""
        out = self.mission.outages
        return not out or not out.link_down(self.name, _name(other), self.env.now if t is None else t)

    def link_up_again(self, other: Agent | str, t: float | None = None) -> float:
        """The first time at or after ``t`` (default now) when the link to ``other`` and both ends are in service."""
        return self.mission.outages.link_up_again(self.name, _name(other), self.env.now if t is None else t)

    # --- products --------------------------------------------------------------------------------------------------

    def make(self, kind: str, source: str, size_bits: float, priority: int = 1, *, created_s: float | None = None,
             satellite: str | None = None) -> Product:
        """A new product held here: an image, a message, or a kind of the user's own. ``satellite`` is the satellite
        it is credited to (default this agent); it is in the ledger from now on, and must end kept, sent or
        dropped."""
        p = self.mission.ledger.new(kind, source, self.env.now if created_s is None else created_s, size_bits,
                                    priority, satellite or self.name, self.name)
        p.path = [self.name]
        return p

    def drop(self, p: Product, reason: str) -> None:
        """Drop a product held here for ``reason`` (``products.DROP_REASONS`` or the user's own)."""
        p.holder = self.name
        self.mission.ledger.drop(p, self.env.now, reason)

    def log(self, event: str, detail: str = "", product: Product | None = None) -> None:
        """Add an event of this agent to the run's events table."""
        self.mission.ledger.log(self.env.now, self.name, event, detail, -1 if product is None else product.id)

    def send(self, p: Product, to: Agent, rate_bps: float, *, power_w: float = 0.0):
        """Carry ``p`` from here to ``to`` at ``rate_bps``: a SimPy generator, ``result = yield from a.send(...)``.

        Nothing is sent (result "link_down") when the link or either end is out of service now, or ("no_power")
        when this agent's battery cannot give ``power_w`` for the transmission time. Otherwise the product is in
        transit for its transmission time plus the light time over the range at this instant; the hop is logged
        when its last bit lands, this agent lets go of it (``release``) and ``to`` takes it (``receive``): the
        result is then "stored", "delivered" or "dropped". A product still in transit at the end of the run counts
        as on board.
        """
        mission = self.mission
        now = self.env.now
        kind = HOPS.get((self.kind, to.kind))
        if kind is None:
            raise ValueError(f"{self.kind} {self.name!r} cannot send to {to.kind} {to.name!r}: the hops are "
                             + ", ".join(f"{a} to {b}" for a, b in HOPS))
        if mission.outages and mission.outages.link_down(self.name, to.name, now):
            return SendResult("link_down")
        tx = p.size_bits / rate_bps if rate_bps > 0 else float("inf")
        battery = getattr(self, "battery", None)
        if power_w and battery is not None and not battery.draw(power_w * tx):
            return SendResult("no_power")
        range_km = mission.ranges.range_km(self.name, to.name, now)
        if not (range_km == range_km and range_km < float("inf") and rate_bps > 0):
            raise ValueError(f"{self.name} -> {to.name} at {now} s: no range ({range_km}) or no rate ({rate_bps})")
        p.state = IN_TRANSIT
        yield self.env.timeout(tx + range_km / C_KM_S)
        mission.ledger.hop(p, kind, self.name, to.name, now, self.env.now, range_km)
        self.release(p)
        return to.receive(p, self, kind)

    def release(self, p: Product) -> None:
        """Let go of ``p``, which has just left."""


class _FirstOf:
    """Callback that triggers ``wake`` when the first of new data and a timer happens (no reference cycle, so the
    garbage collector has nothing to do for it)."""

    __slots__ = ("wake", "data")

    def __init__(self, wake: simpy.Event, data: simpy.Event):
        self.wake, self.data = wake, data

    def __call__(self, _event) -> None:
        if not self.wake.triggered:
            self.wake.succeed()
            callbacks = self.data.callbacks
            if callbacks is not None:
                callbacks.remove(self)


def _by_priority(p: Product):
    return -p.priority, p.created_s, p.id


def _by_age(p: Product):
    return p.created_s, p.id


def _name(node) -> str:
    return node if isinstance(node, str) else node.name


class Satellite(Agent):
    """A satellite: onboard storage (bits) and battery, the products on board, and its view of the plan.

    ``new_data`` fires whenever a product comes on board; ``stored_hooks`` are called as ``hook(p, hop)`` for every
    product put on board (``hop`` None for one made here, else the hop that brought it).
    """

    kind = "satellite"

    def __init__(self, mission, name: str, plan: SatellitePlan, *, storage_bits: float, battery: Battery):
        super().__init__(mission, name)
        self.plan = plan
        self.storage = simpy.Container(self.env, capacity=storage_bits, init=0.0)
        self.battery = battery
        self.queue: list[Product] = []
        self.new_data = self.env.event()
        self.high_water = 0.0
        self.stored_hooks: list[Callable[[Product, str | None], None]] = []

    def on_board(self) -> list[Product]:
        """Products on board now (not in transit), in the order they came."""
        return [p for p in self.queue if p.state == ON_BOARD]

    def has_data(self) -> bool:
        return any(p.state == ON_BOARD for p in self.queue)

    def anything_fits(self, rate_bps: float, seconds: float) -> bool:
        """Whether a product on board could be sent at ``rate_bps`` within ``seconds``."""
        return any(p.state == ON_BOARD and p.size_bits / rate_bps <= seconds for p in self.queue)

    def next_product(self, fits: Callable[[Product], bool], order: str = "fifo") -> Product | None:
        """The first product on board for which ``fits(p)``: oldest first, or with ``order="priority"`` highest
        priority first (then oldest)."""
        if order == "priority":
            key = _by_priority
        else:
            key = _by_age
        for p in sorted((q for q in self.queue if q.state == ON_BOARD), key=key):
            if fits(p):
                return p
        return None

    def wait_for_data(self, until: float):
        """An event that fires when a product comes on board or at ``until``, whichever is first.

        It behaves as ``new_data | env.timeout(...)`` (it fires one step after the first of the two, as a condition
        event does) without building a condition's value.
        """
        env = self.env
        fire = _FirstOf(simpy.Event(env), self.new_data)
        self.new_data.callbacks.append(fire)
        env.timeout(max(0.0, until - env.now)).callbacks.append(fire)
        return fire.wake

    def keep(self, p: Product) -> SendResult:
        """Put a product made here on board ("stored"), or drop it when storage is full ("dropped")."""
        return self._store(p, None)

    def receive(self, p: Product, sender: Agent, hop: str) -> SendResult:
        return self._store(p, hop)

    def _store(self, p: Product, hop: str | None) -> SendResult:
        box = self.storage
        if box.level + p.size_bits > box.capacity:
            p.holder = self.name
            self.mission.ledger.drop(p, self.env.now, "storage_full")
            return SendResult("dropped")
        box.put(p.size_bits)
        if box.level > self.high_water:
            self.high_water = box.level
        p.holder, p.state = self.name, ON_BOARD
        if p.path[-1] != self.name:
            p.path.append(self.name)
        self.queue.append(p)
        event, self.new_data = self.new_data, self.env.event()
        event.succeed()
        for hook in self.stored_hooks:
            hook(p, hop)
        return SendResult("stored")

    def release(self, p: Product) -> None:
        self.queue.remove(p)
        self.storage.get(p.size_bits)

    def downlink_rate(self, station: GroundStation | str, t: float | None = None) -> float:
        """Rate (bit/s) of the link to ``station`` at ``t`` (default now), from the range then and the link model."""
        return self.mission.downlink_rate(self.name, _name(station), self.env.now if t is None else t)


class GroundStation(Agent):
    """A ground station: its antennas (a ``PriorityResource``), the bits it received and how long they were busy.

    ``scheduler`` is the behaviour that decides which satellite its antennas serve (``scheduling``);
    ``received_hooks`` are called as ``hook(p, sender)`` for every product delivered here.
    """

    kind = "station"

    def __init__(self, mission, name: str, *, antennas: int):
        super().__init__(mission, name)
        self.antennas = simpy.PriorityResource(self.env, capacity=antennas)
        self.scheduler = None
        self.received_hooks: list[Callable[[Product, Agent], None]] = []
        self.bits = 0.0
        self.busy_s = 0.0

    def receive(self, p: Product, sender: Agent, hop: str) -> SendResult:
        self.bits += p.size_bits
        self.mission.ledger.deliver(p, self.env.now, self.name)
        for hook in self.received_hooks:
            hook(p, sender)
        return SendResult("delivered")


class Relay(Agent):
    """The relay: its channels (a ``Resource``), what it holds in order of arrival, and its feeder windows.

    ``arrival`` fires whenever a product arrives.
    """

    kind = "relay"

    def __init__(self, mission, name: str, *, channels: int, feeder: Windows | None):
        super().__init__(mission, name)
        self.channels = simpy.Resource(self.env, capacity=channels)
        self.held: list[Product] = []
        self.arrival = self.env.event()
        self.feeder = feeder
        self.bits = 0.0
        self.busy_s = 0.0

    def receive(self, p: Product, sender: Agent, hop: str) -> SendResult:
        self.bits += p.size_bits
        p.holder, p.state = self.name, ON_BOARD
        p.path.append(self.name)
        self.held.append(p)
        event, self.arrival = self.arrival, self.env.event()
        event.succeed()
        return SendResult("stored")

    def release(self, p: Product) -> None:
        self.held.remove(p)


class Terminal(Agent):
    """A messaging terminal: when its messages are written, the passes of satellites that collect them, and how
    they go up. Messages still waiting at the end are ``pending`` here, never products."""

    kind = "terminal"

    def __init__(self, mission, name: str, *, created: list | None = None, passes: Windows | None = None,
                 size_bits: float = 0.0, priority: int = 1, uplink_bps: float = 9600.0):
        super().__init__(mission, name)
        self.created = [] if created is None else created
        self.passes = passes if passes is not None else Windows.from_frame(None)
        self.size_bits, self.priority, self.uplink_bps = size_bits, priority, uplink_bps
        self.pending = 0


__all__ += ["DELIVERED", "DROPPED", "IN_TRANSIT", "ON_BOARD"]
