"""Mission simulation: agents (satellites, stations, the relay, terminals) whose behaviours are SimPy processes.

Where each concept lives: ``agents`` (the agents, their resources and ``send``), ``plan`` (an agent's view of the
contact plan), ``behaviour`` (the base class, the registry and how a scenario names a behaviour), the built-in
behaviours one module each (``imaging``, ``messaging``, ``downlink``, ``relay``, ``isl``, ``power``, ``scheduling``),
``mission`` (the run), ``build`` (a mission from a scenario), ``products``, ``faults``, ``ranges`` and ``metrics``.
"""

from __future__ import annotations

from .agents import Agent, GroundStation, Relay, Satellite, SendResult, Terminal
from .behaviour import Behaviour, BehaviourError, BehaviourFailed, behaviour_names, register, resolve
from .build import DownlinkRate, bind_behaviours, isl_router, members, mission_targets, simulate
from .downlink import Downlink
from .faults import Outages, link_key
from .imaging import Imaging
from .isl import IslForwarding
from .messaging import Collection
from .metrics import MissionResults
from .mission import Mission
from .plan import SatellitePlan, Windows
from .power import Battery, Power
from .products import Product
from .ranges import Ranges
from .relay import RelayFeeder, RelayUplink
from .scheduling import FirstCome, HighestElevation, MaxWeight, PriorityFirst, StationScheduler

__all__ = ["Agent", "Battery", "Behaviour", "BehaviourError", "BehaviourFailed", "Collection", "Downlink", "DownlinkRate", "FirstCome",
           "GroundStation", "HighestElevation", "Imaging", "IslForwarding", "MaxWeight", "Mission", "MissionResults",
           "Outages", "Power", "PriorityFirst", "Product", "Ranges", "Relay", "RelayFeeder", "RelayUplink",
           "Satellite", "SatellitePlan", "SendResult", "StationScheduler", "Terminal", "Windows", "behaviour_names",
           "bind_behaviours", "isl_router", "link_key", "members", "mission_targets", "register", "resolve",
           "simulate"]
