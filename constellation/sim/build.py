"""Building a mission from a scenario: each agent's view of the plan, the agents, and their behaviours."""

from __future__ import annotations

import numpy as np

from .agents import GroundStation, Relay, Satellite, Terminal
from .faults import Outages, link_key
from .metrics import mission_metrics
from .mission import Mission
from .plan import SatellitePlan, Windows
from .power import Battery
from .ranges import Ranges


def members(fleet, names, kind="satellite") -> list[str]:
    """Fleet members named directly or through their group (all satellites when ``names`` is None)."""
    pool = [m for m in fleet.members if m.kind == kind]
    if names is None:
        return [m.name for m in pool]
    wanted = set(names)
    return [m.name for m in pool if m.name in wanted or m.group in wanted]


def mission_targets(mission) -> list:
    """The imaging targets of a mission: its points, then its regions sampled into points."""
    from ..access import Target, region_targets

    if mission.imaging is None:
        return []
    out = [Target(t.name, t.latitude, t.longitude, t.priority) for t in mission.imaging.targets]
    for r in mission.imaging.regions:
        out += region_targets(r.name, r.lat_min, r.lat_max, r.lon_min, r.lon_max, r.spacing, r.priority)
    return out


class DownlinkRate:
    """Rate (bit/s) of a satellite-station link at a moment, from the range then (``Ranges``) and the link model;
    with a model that has an ``atmosphere``, also from the elevation at the station (``stations``: name ->
    ``access.Station``).

    The last rate of each link is kept, so asking again at the same instant (to choose a station, then to send)
    evaluates the model once. A fixed rate is the same everywhere the contact windows reach: they are already cut to
    a model's ``range_limit_km``.
    """

    def __init__(self, ranges: Ranges, model, stations: dict | None = None):
        from ..links import FixedRate

        self.ranges = ranges
        self.model = model
        self.fixed = float(model.rate_bps(np.array([1.0]))[0]) if isinstance(model, FixedRate) else None
        self.weather = getattr(model, "atmosphere", None) is not None
        if self.weather and not stations:
            raise ValueError("a downlink with an atmosphere needs the stations, for their elevations")
        self.stations = stations or {}
        self._last: dict[tuple[str, str], tuple[float, float]] = {}

    def __call__(self, sat: str, station: str, t: float) -> float:
        if self.fixed is not None:
            return self.fixed
        last = self._last.get((sat, station))
        if last is not None and last[0] == t:
            return last[1]
        if self.weather:
            where = self.stations[station]
            los = self.ranges.position_km(sat, t) - self.ranges.position_km(station, t)
            range_km = float(np.linalg.norm(los))
            elevation = np.degrees(np.arcsin(np.clip(np.dot(los, where.up) / range_km, -1.0, 1.0)))
            rate = float(self.model.rate_bps(np.array([range_km]), np.array([elevation]), where)[0])
        else:
            rate = float(self.model.rate_bps(np.array([self.ranges.range_km(sat, station, t)]))[0])
        self._last[sat, station] = (t, rate)
        return rate


_GROUND = "\x00ground"


def lowest_rates(fleet, stations, contacts, model) -> np.ndarray:
    """A lower bound of the downlink rate over each contact window (bit/s): the model's rate at the longest range
    the satellite could be at while above the station's mask.

    That range bounds every point of the window: the satellite is at most at its apogee radius r_a
    (``Fleet.apogee_radii``) and at a geocentric elevation of at least the mask less 0.5 deg (geodetic and geocentric
    verticals differ by under 0.2 deg), so range <= sqrt(r_a^2 - (R cos e)^2) - R sin e, R the station's distance from
    the Earth's centre. Rates never rise with range, so the model's rate there is below every rate in the window.
    The windows are already cut to the model's ``range_limit_km``, so the range is also at most that; with an
    atmosphere, the worst attenuation at the mask or above is taken.
    """
    from ..topology import range_limit

    if len(contacts) == 0:
        return np.zeros(0)
    radius = contacts["station"].map({s.name: float(np.linalg.norm(s.itrs)) for s in stations}).to_numpy(float)
    mask = contacts["station"].map({s.name: s.min_elevation_deg for s in stations}).to_numpy(float)
    eps = np.radians(np.maximum(mask - 0.5, -90.0))
    apogee = contacts["satellite"].map(dict(zip(fleet.names, fleet.apogee_radii()))).to_numpy(float)
    farthest = np.sqrt(np.maximum(apogee**2 - (radius * np.cos(eps)) ** 2, 0.0)) - radius * np.sin(eps)
    farthest = np.maximum(np.minimum(farthest, range_limit(model)), 1e-3)
    if getattr(model, "atmosphere", None) is None:
        return np.asarray(model.rate_bps(farthest), dtype=float)
    by_name = {s.name: s for s in stations}
    where = [by_name[n] for n in contacts["station"]]
    return np.asarray(model.rate_bps(farthest, mask, where, lowest=True), dtype=float)


def isl_router(link_plan, satellites: list[str], stations: list[str]):
    """Where a product made on a satellite should cross inter-satellite links to reach the ground soonest.

    Contact graph routing over the inter-satellite windows and the downlinks (satellite to station only, so
    stations never relay), towards a sink every station feeds. Returns a function (satellite, t, size) -> the
    inter-satellite hops (from, to, depart, rate_bps) of the earliest route, empty when going straight down is best.
    The plan's delays are the windows' worst case; the mission then waits the light time at each hop's departure.
    """
    import pandas as pd

    from ..routing import ContactPlan

    sats = set(satellites)
    cols = ["a", "b", "start_s", "end_s", "delay_s", "rate_bps"]
    plan = link_plan[link_plan["rate_bps"] > 0]
    isl = plan[(plan["kind"] == "isl") & plan["a"].isin(sats) & plan["b"].isin(sats)][cols].assign(directed=False)
    down = plan[plan["kind"] == "downlink"]
    a_is_sat = down["a"].isin(sats)
    down = pd.DataFrame({
        "a": np.where(a_is_sat, down["a"], down["b"]), "b": np.where(a_is_sat, down["b"], down["a"]),
        "start_s": down["start_s"], "end_s": down["end_s"], "delay_s": down["delay_s"], "rate_bps": down["rate_bps"],
        "directed": True,
    })
    sink = pd.DataFrame({"a": list(stations), "b": _GROUND, "start_s": -np.inf, "end_s": np.inf, "delay_s": 0.0,
                         "rate_bps": np.inf, "directed": True})
    contact_plan = ContactPlan(pd.concat([isl, down, sink], ignore_index=True))
    rates = contact_plan.plan["rate_bps"].to_numpy(float)

    def route(sat: str, t: float, size_bits: float):
        try:
            arrival = contact_plan.earliest_arrival(sat, _GROUND, t, size_bits=size_bits)
        except ValueError:
            return []
        if arrival is None:
            return []
        return [(h.a, h.b, h.depart_s, float(rates[h.window_index])) for h in arrival.hops
                if h.a in sats and h.b in sats]

    return route


def poisson_times(rng: np.random.Generator, rate_per_s: float, end_s: float) -> np.ndarray:
    if rate_per_s <= 0:
        return np.zeros(0)
    n = int(rate_per_s * end_s + 10 * np.sqrt(rate_per_s * end_s) + 10)
    t = np.cumsum(rng.exponential(1.0 / rate_per_s, n))
    while t[-1] < end_s:
        t = np.concatenate([t, t[-1] + np.cumsum(rng.exponential(1.0 / rate_per_s, n))])
    return t[t < end_s]


def simulate(scenario, *, fleet=None, contacts=None, link_plan=None, progress=None):
    """Simulate the scenario's mission (``metrics.MissionResults``); ``contacts`` and ``link_plan`` may be passed when
    already computed."""
    from ..access import Station, contact_windows, eclipse_windows, target_windows
    from ..access import within_range
    from ..topology import range_limit

    mission = scenario.mission
    if mission is None:
        raise ValueError("the scenario has no mission section to simulate")
    duration = scenario.duration_s
    fleet = fleet if fleet is not None else scenario.fleet()
    stations = scenario.stations()
    config = scenario.link_config()
    sats = members(fleet, None)
    relay = next((m.name for m in fleet.members if m.kind == "relay"), None)
    rng = np.random.default_rng(mission.seed)

    def step(name):
        if progress is not None:
            progress(name, 1, 1)

    if contacts is None:
        contacts = contact_windows(fleet, stations, 0.0, duration)
    sat_contacts = within_range(fleet, stations, contacts[contacts["satellite"].isin(sats)],
                                range_limit(config.downlink))
    step("contacts")
    eclipses = eclipse_windows(fleet, 0.0, duration)
    step("eclipses")
    targets = mission_targets(mission)
    imaging_sats = members(fleet, mission.imaging.satellites) if mission.imaging else []
    if targets and imaging_sats:
        idx = np.array([fleet.index(n) for n in imaging_sats])
        tw = target_windows(fleet, targets, 0.0, duration, max_off_nadir_deg=mission.imaging.max_off_nadir,
                            min_sun_elevation_deg=mission.imaging.min_sun_elevation, sats=idx)
    else:
        tw = None
    step("targets")
    relay_rows = feeder = router = None
    if (relay is not None or config.isl_policy != "none") and link_plan is None:
        link_plan = scenario.network(fleet).link_plan(0.0, duration, contacts=contacts)
    if config.isl_policy != "none":
        router = isl_router(link_plan, sats, [s.name for s in stations])
    if relay is not None:
        plan = link_plan
        relay_rows = plan[plan["kind"] == "relay"].copy()
        relay_rows["satellite"] = np.where(relay_rows["a"] == relay, relay_rows["b"], relay_rows["a"])
        feed = plan[plan["kind"] == "feeder"].copy()
        feed["station"] = np.where(feed["a"] == relay, feed["b"], feed["a"])
        feeder = Windows.from_frame(feed, other="station", rate_bps="rate_bps", delay_s="delay_s")
        step("relay")

    sat_contacts = sat_contacts.assign(min_rate_bps=lowest_rates(fleet, stations, sat_contacts, config.downlink))
    downlinks = Windows.by_node(sat_contacts, "satellite", "rise_s", "set_s", "station",
                                max_elevation_deg="max_elevation_deg", min_rate_bps="min_rate_bps")
    in_view = Windows.by_node(tw, "satellite", other="target", best_s="best_s")
    shadows = Windows.by_node(eclipses, "satellite")
    relays = Windows.by_node(relay_rows, "satellite", other="satellite", rate_bps="rate_bps", delay_s="delay_s")
    empty = Windows.from_frame(None)
    plans = {
        sat: SatellitePlan(
            downlink=downlinks.get(sat) or Windows.from_frame(None, max_elevation_deg=0, min_rate_bps=0),
            targets=in_view.get(sat) or Windows.from_frame(None, best_s=0),
            eclipses=shadows.get(sat) or empty,
            relay=relays.get(sat) or Windows.from_frame(None, rate_bps=0, delay_s=0),
        )
        for sat in sats
    }

    terminals, ground = {}, list(stations)
    if mission.messaging is not None and mission.messaging.terminals:
        msg = mission.messaging
        msg_sats = set(members(fleet, msg.satellites))
        stations_t = [Station(t.name, t.latitude, t.longitude, 0.0, msg.min_elevation) for t in msg.terminals]
        ground += stations_t
        passes = contact_windows(fleet, stations_t, 0.0, duration)
        passes = passes[passes["satellite"].isin(msg_sats)]
        for t in sorted(msg.terminals, key=lambda x: x.name):
            created = poisson_times(rng, msg.rate / 3600.0, duration)
            terminals[t.name] = (created, Windows.from_frame(passes[passes["station"] == t.name], "rise_s", "set_s",
                                                             "satellite"), msg.message_size, msg.priority,
                                 msg.uplink_rate)
        step("terminals")

    outages = Outages()
    for f in mission.faults:
        outages.add(f.node if f.node is not None else link_key(*f.link), f.start, min(f.end, duration))
    fault_rng = np.random.default_rng([mission.seed, 1])
    for spec in mission.random_faults:
        for node in spec.nodes:
            outages.add_random(node, spec.mtbf, spec.mttr, duration, fault_rng)

    ranges = Ranges.of(fleet, ground)
    sim = Mission(duration, ranges=ranges, downlink_rate=DownlinkRate(ranges, config.downlink, {s.name: s for s in stations}), outages=outages,
                  router=router, target_priority={t.name: t.priority for t in targets})
    power = mission.power
    for station in stations:
        sim.add(GroundStation(sim, station.name, antennas=mission.downlink.antennas))
    if relay is not None:
        sim.add(Relay(sim, relay, channels=config.relay_channels, feeder=feeder))
    for sat in sats:
        battery = Battery(sim.env, power.battery, power.initial_charge, power.solar_power, power.bus_load,
                          power.min_charge)
        sim.add(Satellite(sim, sat, plans[sat], storage_bits=mission.storage, battery=battery))
    for name, (created, passes, size, prio, uplink_bps) in terminals.items():
        sim.add(Terminal(sim, name, created=created, passes=passes, size_bits=size, priority=prio,
                         uplink_bps=uplink_bps))
    bind_behaviours(sim, mission, {m.name: m.group for m in fleet.members})
    sim.start()
    sim.run()
    step("simulation")
    return mission_metrics(sim, targets, tw, duration)


def bind_behaviours(sim: Mission, mission, groups: dict[str, str] | None = None) -> None:
    """Bind the built-in behaviours every agent has, then those ``mission.behaviours`` choose (``mission``: a
    scenario's mission section; ``groups`` maps satellite names to their group's name, for ``nodes``)."""
    from .behaviour import check_params, resolve

    defaults = role_defaults(mission)
    builtin = {"satellite": ["power", "imaging", "downlink", "relay_uplink", "isl"], "relay": ["relay_feeder"],
               "terminal": ["collection"], "station": [STATION_SCHEDULERS[mission.downlink.policy]]}
    chosen = {kind: [(cls := resolve(name), check_params(cls, defaults_for(cls, defaults))) for name in names]
              for kind, names in builtin.items()}
    for agent in sim.agents().values():
        for cls, params in chosen[agent.kind]:
            sim.add_behaviour(agent, cls, params)
    groups = groups or {}
    for spec in mission.behaviours:
        cls = resolve(spec.use)
        params = check_params(cls, {**defaults_for(cls, defaults), **spec.params})
        for agent in sim.agents().values():
            if agent.kind in cls.agents and (spec.nodes is None or agent.name in spec.nodes
                                             or groups.get(agent.name) in spec.nodes):
                sim.add_behaviour(agent, cls, params)


STATION_SCHEDULERS = {"fifo": "first_come", "priority": "priority", "highest_elevation": "highest_elevation",
                      "max_weight": "max_weight"}
"""The station scheduler each ``mission.downlink.policy`` stands for."""


def role_defaults(mission) -> dict[str, dict]:
    """Parameters of the built-in roles taken from the scenario's mission section."""
    order = "priority" if mission.downlink.policy == "priority" else "fifo"
    link = {"transmitter_power": mission.downlink.transmitter_power, "order": order}
    out = {"downlink": link, "relay_uplink": link}
    if mission.imaging is not None:
        out["imaging"] = {"image_size": mission.imaging.image_size, "capture_time": mission.imaging.capture_time,
                          "power": mission.imaging.power}
    return out


def defaults_for(cls, defaults: dict[str, dict]) -> dict:
    """The mission's parameters for ``cls``'s role that its ``Params`` takes."""
    fields = cls.Params.model_fields
    return {k: v for k, v in defaults.get(cls.role, {}).items() if k in fields}
