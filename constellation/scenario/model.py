"""The ``Scenario`` model: when, for how long, which satellites, stations, links and mission, checked as a whole."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, model_validator

from .base import Model, did_you_mean, dotted, invalid
from .forces import DefaultPropagator, Forces, forces_errors
from .links import Links, Relay
from .mission import Mission
from .orbits import Orbit, Walker, uncovered_runs
from .units import Elevation, Epoch, Latitude, Longitude, Meters, Name, Propagator, ScenarioName, Seconds


class Defaults(Model):
    """Values that apply wherever an entry does not set its own."""

    min_elevation: Elevation = 10.0
    propagator: Propagator = "j2"
    forces: Forces | None = Field(None, description="Forces of the numerically propagated satellites, key by key "
                                  "where an entry's own forces leave one out.")


MAX_DURATION_S = 3650 * 86400.0
"""Longest run, s: ten years, past which mean elements without drag say little."""

STATION_HEIGHT_M = (-500.0, 9000.0)
"""Heights a ground station may have, m: the range of the Earth's land surface."""


class GroundStation(Model):
    """A ground station on the WGS84 ellipsoid; ``min_elevation`` falls back to the scenario default."""

    name: Name
    latitude: Latitude
    longitude: Longitude
    height: Meters = Field(0.0, ge=STATION_HEIGHT_M[0], le=STATION_HEIGHT_M[1],
                           description="Height above the WGS84 ellipsoid, m: from the lowest dry land (the Dead Sea "
                           "shore, about -430 m, less the geoid's dip) to above the highest summit (8,849 m).")
    min_elevation: Elevation | None = None


class Scenario(Model):
    """A simulation scenario: when, for how long, which satellites and which ground stations."""

    name: ScenarioName
    description: str = ""
    epoch: Epoch
    duration: Seconds = Field(gt=0, le=MAX_DURATION_S, description="Length of the run, s (at most 10 years).")
    defaults: Defaults = Field(default_factory=Defaults)
    satellites: list[Orbit] = Field(default_factory=list)
    relay: Relay | None = None
    ground_stations: list[GroundStation] = Field(default_factory=list)
    links: Links = Field(default_factory=Links)
    mission: Mission | None = None

    @model_validator(mode="after")
    def _cross_check(self):
        errors: list[tuple[tuple, str, Any, dict]] = []
        if self.mission is not None:
            errors += self._check_mission(self.mission)
        station_names = {s.name for s in self.ground_stations}
        for k, name in enumerate(self.links.feeder.stations or []):
            if name not in station_names:
                known = ", ".join(sorted(station_names)) or "none"
                errors.append((("links", "feeder", "stations", k), f"no ground station named {name!r} "
                               f"(stations: {known})", name, {}))
        if self.links.isl.policy == "+grid":
            loose = [e.name for e in self.satellites if not isinstance(e, Walker)]
            if loose:
                errors.append((("links", "isl", "policy"), "+grid links Walker shells only; not a Walker entry: "
                               + ", ".join(loose[:5]), "+grid", {}))
        if not self.satellites and self.relay is None:
            errors.append((("satellites",), "a scenario needs at least one satellite or a relay", [], {}))
        seen: dict[str, str] = {}

        def claim(names: list[str], loc: tuple) -> None:
            where = dotted(loc[:-1]) if len(loc) > 2 else loc[0]
            taken = []
            for n in names:
                if n in seen:
                    taken.append(f"{n!r} (by {seen[n]})")
                else:
                    seen[n] = where
            if taken:
                more = f" and {len(taken) - 3} more" if len(taken) > 3 else ""
                errors.append((loc, f"name{'s' if len(taken) > 1 else ''} already used: {', '.join(taken[:3])}{more}",
                               names[0] if len(names) == 1 else None, {}))

        for i, entry in enumerate(self.satellites):
            claim(entry.member_names(), ("satellites", i, "name"))
        if self.relay is not None:
            claim([self.relay.name], ("relay", "name"))
        for j, station in enumerate(self.ground_stations):
            claim([station.name], ("ground_stations", j, "name"))
        if self.mission is not None and self.mission.messaging is not None:
            for j, terminal in enumerate(self.mission.messaging.terminals):
                claim([terminal.name], ("mission", "messaging", "terminals", j, "name"))
        errors += uncovered_runs(self.satellites, self.epoch_time, self.duration_s)
        errors += forces_errors(self)
        if errors:
            raise invalid("Scenario", errors)
        return self

    def _node_names(self) -> tuple[set[str], set[str]]:
        """Every node name (satellites, relay, stations) and the names of satellite groups."""
        nodes = {n for e in self.satellites for n in e.member_names()}
        nodes |= {s.name for s in self.ground_stations}
        if self.relay is not None:
            nodes.add(self.relay.name)
        return nodes, {e.name for e in self.satellites}

    def _check_mission(self, mission: Mission) -> list:
        nodes, groups = self._node_names()
        errors = []

        def unknown(name: str, loc: tuple, allow_groups: bool) -> None:
            if name in nodes or (allow_groups and name in groups):
                return
            errors.append((loc, f"no satellite{', group' if allow_groups else ''}, relay or station named "
                           f"{name!r}{did_you_mean(name, nodes | groups)}", name, {}))

        for part in ("imaging", "messaging"):
            payload = getattr(mission, part)
            for k, name in enumerate((payload.satellites or []) if payload is not None else []):
                unknown(name, ("mission", part, "satellites", k), True)
        for k, fault in enumerate(mission.faults):
            if fault.node is not None:
                unknown(fault.node, ("mission", "faults", k, "node"), False)
            for j, name in enumerate(fault.link or []):
                unknown(name, ("mission", "faults", k, "link", j), False)
            if fault.start >= self.duration:
                errors.append((("mission", "faults", k, "start"), f"starts at {fault.start:g} s, after the run ends "
                               f"({self.duration:g} s)", fault.start, {}))
        for k, spec in enumerate(mission.random_faults):
            for j, name in enumerate(spec.nodes):
                unknown(name, ("mission", "random_faults", k, "nodes", j), False)
        errors += self._check_behaviours(mission)
        return errors

    def _agent_kinds(self) -> dict[str, set[str]]:
        """The kinds of agent each name in a behaviour's ``nodes`` stands for (a group: its satellites)."""
        kinds: dict[str, set[str]] = {}
        for e in self.satellites:
            kinds.setdefault(e.name, set()).add("satellite")
            for n in e.member_names():
                kinds.setdefault(n, set()).add("satellite")
        for s in self.ground_stations:
            kinds.setdefault(s.name, set()).add("station")
        if self.relay is not None:
            kinds.setdefault(self.relay.name, set()).add("relay")
        if self.mission is not None and self.mission.messaging is not None:
            for t in self.mission.messaging.terminals:
                kinds.setdefault(t.name, set()).add("terminal")
        return kinds

    def _check_behaviours(self, mission: Mission) -> list:
        """Each behaviour found, bound to agents of a kind it binds to, with parameters it takes."""
        if not mission.behaviours:
            return []
        from pydantic import ValidationError

        from ..sim.behaviour import BehaviourError, check_params, resolve
        from ..sim.build import defaults_for, role_defaults

        errors = []
        kinds = self._agent_kinds()
        defaults = role_defaults(mission)
        for k, spec in enumerate(mission.behaviours):
            here = ("mission", "behaviours", k)
            try:
                cls = resolve(spec.use)
            except BehaviourError as exc:
                errors.append((here + ("use",), str(exc), spec.use if isinstance(spec.use, str) else None, {}))
                continue
            for j, name in enumerate(spec.nodes or []):
                if name not in kinds:
                    errors.append((here + ("nodes", j), f"no satellite group, satellite, station, relay or terminal "
                                   f"named {name!r}{did_you_mean(name, kinds)}", name, {}))
                elif not kinds[name] & set(cls.agents):
                    errors.append((here + ("nodes", j), f"{name!r} is a {'/'.join(sorted(kinds[name]))}; behaviour "
                                   f"{spec.use if isinstance(spec.use, str) else cls.__name__!r} binds to "
                                   f"{', '.join(cls.agents)}", name, {}))
            try:
                check_params(cls, {**defaults_for(cls, defaults), **spec.params})
            except ValidationError as exc:
                for e in exc.errors():
                    value = e.get("input")
                    errors.append((here + ("params",) + tuple(e["loc"]), e["msg"],
                                   value if isinstance(value, (str, int, float, bool)) else None, {}))
        return errors

    @property
    def epoch_time(self):
        """The epoch as an astropy Time (UTC)."""
        from astropy.time import Time

        return Time(self.epoch, scale="utc")

    @property
    def duration_s(self) -> float:
        """Length of the run, s."""
        return float(self.duration)

    def fleet(self):
        """Every satellite and the relay as a ``Fleet`` at the scenario epoch."""
        from ..orbits.elements import geostationary
        from ..orbits.fleet import Fleet, Member

        epoch = self.epoch_time
        default = DefaultPropagator(self.defaults.propagator, self.defaults.forces)
        members = [m for entry in self.satellites for m in entry.members(epoch, default)]
        if self.relay is not None and self.relay.enabled:
            model = str(self.relay.propagator or default)
            orbit = geostationary(self.relay.longitude, epoch)
            if model == "numerical":
                from ..orbits.numerical import NumericalOrbit

                base = self.defaults.forces or Forces()
                gravity = Forces.model_construct(j2=base.j2, j3=base.j3, third_body=base.third_body).force_model()
                orbit = NumericalOrbit(orbit, epoch, gravity, name=self.relay.name)
            members.append(Member(self.relay.name, orbit, model, kind="relay", group=self.relay.name))
        numerical = [m.orbit for m in members if m.model == "numerical"]
        if numerical:
            from ..orbits.numerical import integrate_together

            integrate_together(numerical, 0.0, self.duration_s)
        return Fleet(epoch, members)

    def link_config(self):
        """The ``links`` section as a ``topology.LinkConfig`` with built link models."""
        import math

        from ..topology import LinkConfig

        isl, relay, feeder = self.links.isl, self.links.relay, self.links.feeder
        return LinkConfig(
            downlink=self.links.downlink.build(),
            isl_policy=isl.policy,
            isl_model=isl.model.build(),
            isl_grazing_altitude_km=isl.grazing_altitude,
            isl_max_range_km=math.inf if isl.max_range is None else isl.max_range,
            isl_cross_plane_max_latitude_deg=isl.cross_plane_max_latitude,
            relay_model=relay.model.build(),
            relay_channels=relay.channels,
            relay_grazing_altitude_km=relay.grazing_altitude,
            feeder_model=feeder.model.build(),
            feeder_stations=None if feeder.stations is None else tuple(feeder.stations),
            stations_relay=self.links.stations_relay,
        )

    def network(self, fleet=None):
        """The link topology of this scenario (``topology.Network``), on ``fleet`` if one is already built.

        The network knows the epoch and the run length: its methods take times in any form ``to_seconds`` reads
        (``"10 min"``, ``"2026-03-20T06:00:00Z"``...) and refuse one outside the run."""
        from ..topology import Network

        return Network(fleet if fleet is not None else self.fleet(), self.stations(), self.link_config(),
                       epoch=self.epoch_time, duration_s=self.duration_s)

    def stations(self) -> list:
        """The ground stations as ``access.Station`` objects."""
        from ..access import Station

        return [
            Station(
                s.name, s.latitude, s.longitude, s.height / 1000.0,
                self.defaults.min_elevation if s.min_elevation is None else s.min_elevation,
            )
            for s in self.ground_stations
        ]

    def to_yaml(self) -> str:
        """The scenario as YAML in canonical units (km, m, deg, s) that ``from_yaml_text`` reads back equal."""
        from .loading import scenario_to_yaml

        return scenario_to_yaml(self)

    @classmethod
    def from_yaml_text(cls, text: str, source: str = "<string>", base_dir: str | Path | None = None) -> "Scenario":
        """A scenario from YAML text; relative TLE files are read from ``base_dir`` (default: the working folder)."""
        from .loading import scenario_from_yaml

        return scenario_from_yaml(text, source, base_dir)
