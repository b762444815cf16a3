"""Scenarios: the validated description of a run, written as YAML or built in Python.

Physical values are given as astropy Quantities, strings with a unit (``"510 km"``, ``"1 d"``) or bare numbers in
the field's canonical unit (km for orbits, m for station heights, deg, s, W, dBW...), and stored as floats in that
unit. ``to_seconds`` and ``to_duration`` read times the same way for the whole API (``"10 min"``, a ``timedelta``,
``"2026-03-20T06:00:00Z"``...).
Every problem found while loading comes back at once in a ``ScenarioError``, each with its field path and the
line of the YAML file it concerns.

One concept per module; everything is imported from here (``from constellation.scenario import Scenario``), and
a module needs only the ones listed before it when it is imported:

- ``units``: the field types with a unit (``Km``, ``Deg``, ``Seconds``, ``Dbw``...), names and epochs, and the reading
  of times (``to_seconds``, ``to_duration``, ``utc_time``);
- ``base``: the base class of every model, and the error a model's own checks raise;
- ``forces``: the ``forces`` block of numerically propagated satellites (``Forces``, ``Drag``, ``RadiationPressure``);
- ``orbits``: the orbit entries of ``satellites`` (``Circular``, ``Walker``, ``TLESet``...) and ``ORBIT_KINDS``;
- ``links``: the relay and what each link carries (``Links``, ``FixedRateLink``, ``LinkBudgetSpec``...);
- ``behaviours``: the behaviours a scenario chooses for its agents (``BehaviourSpec``);
- ``mission``: payloads, power, storage, downlink sharing, faults and behaviours (``Mission``, ``Imaging``...);
- ``model``: ``Scenario`` (with ``Defaults`` and ``GroundStation``) and its checks across sections;
- ``problems``: ``Problem``, ``ScenarioError``, and pydantic's errors turned into problems;
- ``loading``: YAML with the line of every key, scenario scripts, bundled scenarios, the JSON Schema.
"""

from __future__ import annotations

from .behaviours import MAX_BEHAVIOURS, BehaviourRef, BehaviourSpec
from .forces import DefaultPropagator, Drag, Forces, ForcesIncomplete, RadiationPressure
from .links import (
    AtmosphereSpec, FeederLinks, FixedRateLink, IslLinks, LinkBudgetSpec, LinkModel, Links, Relay, RelayLinks,
)
from .loading import (
    BUNDLED_DIR,
    YamlLoader,
    bundled_description,
    bundled_scenarios,
    load_scenario,
    scenario_json_schema,
    validate_data,
)
from .mission import (
    DownlinkSpec,
    Imaging,
    Messaging,
    Mission,
    PowerSpec,
    RandomFaults,
    RegionSpec,
    ScheduledFault,
    TargetSpec,
    Terminal,
)
from .model import Defaults, GroundStation, Scenario
from .orbits import (
    Frame, PositionKm, StateEpoch, VelocityKmS,
    ORBIT_KINDS, Circular, Classical, Geostationary, OEMFile, OMMSet, Orbit, StateVector, SunSynchronous, Swarm, TLESet,
    Walker,
)
from .problems import Problem, ScenarioError
from .units import (
    BallisticCoefficient,
    BitRate,
    Bits,
    Db,
    Dbi,
    DbPerK,
    Dbw,
    Deg,
    Elevation,
    Energy,
    Epoch,
    ExosphericTemperature,
    Hertz,
    Hours,
    Inclination,
    Kelvin,
    Kilograms,
    Percent,
    RainRate,
    Km,
    Latitude,
    Longitude,
    Meters,
    Name,
    PerHour,
    Power,
    Propagator,
    ScenarioName,
    Seconds,
    Spacing,
    SquareMeters,
    Watts,
    to_duration,
    to_seconds,
    utc_time,
)

__all__ = [
    "BehaviourRef", "BehaviourSpec", "MAX_BEHAVIOURS",
    # models
    "Scenario", "Defaults", "Classical", "Circular", "SunSynchronous", "Walker", "Swarm", "Geostationary", "TLESet",
    "OMMSet", "StateVector", "OEMFile",
    "Relay", "GroundStation", "Links", "FixedRateLink", "LinkBudgetSpec", "AtmosphereSpec", "IslLinks", "RelayLinks",
    "FeederLinks",
    "Mission", "Imaging", "TargetSpec", "RegionSpec", "Messaging", "Terminal", "PowerSpec", "DownlinkSpec",
    "ScheduledFault", "RandomFaults", "Forces", "Drag", "RadiationPressure", "DefaultPropagator",
    # errors
    "Problem", "ScenarioError", "ForcesIncomplete",
    # field types (units)
    "Km", "Meters", "Deg", "Seconds", "Inclination", "Latitude", "Longitude", "Elevation", "Spacing", "Hertz",
    "Watts", "Power", "Kelvin", "BitRate", "Energy", "Bits", "PerHour", "Dbw", "Dbi", "DbPerK", "Db", "Hours",
    "Kilograms", "SquareMeters", "ExosphericTemperature", "BallisticCoefficient", "Percent", "RainRate",
    # other field types
    "Epoch", "Name", "ScenarioName", "Propagator", "Orbit", "LinkModel", "Frame", "PositionKm", "VelocityKmS",
    "StateEpoch",
    # time parsing
    "to_seconds", "to_duration", "utc_time",
    # loading
    "BUNDLED_DIR", "ORBIT_KINDS", "bundled_description", "bundled_scenarios", "load_scenario", "scenario_json_schema",
    "validate_data", "YamlLoader",
]
