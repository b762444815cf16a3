"""The mission: its SimPy environment, its agents, the ledger every product is written in, and the run.

The mission holds no behaviour of its own: each agent's behaviours (``behaviour.Behaviour`` processes) do the work,
and products move only through ``Agent.send``. Geometry arrives as each agent's view of the plan; ``ranges`` gives the
range between any two nodes at a moment (every hop's light time), ``downlink_rate`` the rate of a satellite-station
link at a moment, ``router`` (optional) the inter-satellite hops of a product's fastest way down.
"""

from __future__ import annotations

import simpy

from .agents import Agent, GroundStation, Relay, Satellite, Terminal
from .faults import Outages
from .products import IN_TRANSIT, ON_BOARD, Ledger

__all__ = ["ROLE_ORDER", "Mission"]

ROLE_ORDER = ("power", "imaging", "downlink", "relay_uplink", "isl", "relay_feeder", "collection", "scheduler")
"""The order in which an agent's built-in roles start; other roles start after them, in the order given."""


class Mission:
    """One run of the mission: add agents and bind their behaviours, ``start()``, ``run()``, then read the ledger.

    ``target_priority`` maps target names to their priority; ``shared`` is a place for behaviours of several agents
    to keep what they share (e.g. a network-wide station scheduler).
    """

    def __init__(self, end_s: float, *, ranges, downlink_rate=None, outages: Outages | None = None, router=None,
                 target_priority: dict | None = None):
        self.env = simpy.Environment()
        self.end_s = float(end_s)
        self.ranges = ranges
        self.downlink_rate = downlink_rate
        self.outages = outages if outages is not None else Outages()
        self.router = router
        self.target_priority = dict(target_priority or {})
        self.ledger = Ledger()
        self.satellites: dict[str, Satellite] = {}
        self.stations: dict[str, GroundStation] = {}
        self.terminals: dict[str, Terminal] = {}
        self.relay: Relay | None = None
        self.shared: dict = {}

    def add(self, agent: Agent, behaviours=()) -> Agent:
        """Add ``agent`` with ``behaviours``: classes, (class, params) pairs or bound instances."""
        if agent.name in self.agents():
            raise ValueError(f"two agents named {agent.name!r}")
        if isinstance(agent, Satellite):
            self.satellites[agent.name] = agent
        elif isinstance(agent, GroundStation):
            self.stations[agent.name] = agent
        elif isinstance(agent, Terminal):
            self.terminals[agent.name] = agent
        elif isinstance(agent, Relay):
            if self.relay is not None:
                raise ValueError(f"a mission has one relay; {self.relay.name!r} is already there")
            self.relay = agent
        else:
            raise TypeError(f"not an agent: {agent!r}")
        for item in behaviours:
            cls, params = item if isinstance(item, tuple) else (item, None)
            self.add_behaviour(agent, cls, params)
        return agent

    def agents(self) -> dict[str, Agent]:
        """Every agent by name: satellites (by name), the relay, terminals, then stations."""
        out: dict[str, Agent] = {}
        for group in (dict(sorted(self.satellites.items())),
                      {} if self.relay is None else {self.relay.name: self.relay},
                      dict(sorted(self.terminals.items())), dict(sorted(self.stations.items()))):
            out.update(group)
        return out

    def start(self) -> None:
        """Start every agent's behaviours, agent by agent (``agents()`` order), roles in ``ROLE_ORDER``."""
        from .scheduling import FirstCome

        for station in self.stations.values():
            if station.scheduler is None:
                self.add_behaviour(station, FirstCome)
        rank = {role: k for k, role in enumerate(ROLE_ORDER)}
        for agent in self.agents().values():
            order = sorted(range(len(agent.behaviours)),
                           key=lambda k: (rank.get(agent.behaviours[k].role, len(rank)), k))
            for k in order:
                agent.behaviours[k].start()

    def add_behaviour(self, agent: Agent, behaviour, params=None):
        """Bind a behaviour (a class, a generator function or a bound instance) to an agent; it replaces the one of
        the same role."""
        from .behaviour import Behaviour, as_behaviour

        b = behaviour if isinstance(behaviour, Behaviour) else as_behaviour(behaviour)(agent, params)
        if agent.kind not in type(b).agents:
            raise ValueError(f"behaviour {type(b).__name__} binds to {', '.join(type(b).agents)}, not to "
                             f"{agent.kind} {agent.name!r}")
        agent.behaviours = [x for x in agent.behaviours if x.role != b.role] + [b]
        if b.role == "scheduler":
            agent.scheduler = b
        return b

    def run(self) -> None:
        """Run to the end; then settle the batteries, and count products still in transit as on board.

        A behaviour that raises stops the run with ``behaviour.BehaviourFailed`` (the behaviour's own exception as
        its ``__cause__``).
        """
        from .behaviour import BehaviourFailed

        try:
            self.env.run(until=self.end_s)
        except BehaviourFailed as exc:
            raise exc.__cause__ if isinstance(exc.__cause__, BehaviourFailed) else exc  # SimPy raises a copy
        for sat in self.satellites.values():
            sat.battery.settle()
        for p in self.ledger.products:
            if p.state == IN_TRANSIT:
                p.state = ON_BOARD
