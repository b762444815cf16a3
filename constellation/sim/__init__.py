"""Mission simulation: the scenario's contact plan played out by SimPy processes, one set per satellite."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .faults import Outages, link_key
from .mission import Mission, Policy, SatellitePlan, Windows
from .ranges import Ranges


@dataclass
class MissionResults:
    """Tables of one simulated mission, and its headline metrics."""

    products: object
    events: object
    targets: object
    satellites: object
    stations: object
    outages: object
    battery: object
    metrics: dict = field(default_factory=dict)


def _members(fleet, names, kind="satellite") -> list[str]:
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
    """Rate (bit/s) of a satellite-station link at a moment, from the range then (``Ranges``) and the link model."""

    def __init__(self, ranges: Ranges, model):
        from ..links import FixedRate

        self.ranges = ranges
        self.model = model
        self.fixed = float(model.rate_bps(np.array([1.0]))[0]) if isinstance(model, FixedRate) else None

    def __call__(self, sat: str, station: str, t: float) -> float:
        if self.fixed is not None:
            return self.fixed
        return float(self.model.rate_bps(np.array([self.ranges.range_km(sat, station, t)]))[0])


_GROUND = "\x00ground"


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


def _poisson_times(rng: np.random.Generator, rate_per_s: float, end_s: float) -> np.ndarray:
    if rate_per_s <= 0:
        return np.zeros(0)
    n = int(rate_per_s * end_s + 10 * np.sqrt(rate_per_s * end_s) + 10)
    t = np.cumsum(rng.exponential(1.0 / rate_per_s, n))
    while t[-1] < end_s:
        t = np.concatenate([t, t[-1] + np.cumsum(rng.exponential(1.0 / rate_per_s, n))])
    return t[t < end_s]


def simulate(scenario, *, fleet=None, contacts=None, link_plan=None, progress=None) -> MissionResults:
    """Simulate the scenario's mission; ``contacts`` and ``link_plan`` may be passed when already computed."""
    from ..access import Station, contact_windows, eclipse_windows, target_windows
    from .metrics import mission_metrics

    mission = scenario.mission
    if mission is None:
        raise ValueError("the scenario has no mission section to simulate")
    duration = scenario.duration_s
    fleet = fleet if fleet is not None else scenario.fleet()
    stations = scenario.stations()
    config = scenario.link_config()
    sats = _members(fleet, None)
    relay = next((m.name for m in fleet.members if m.kind == "relay"), None)
    rng = np.random.default_rng(mission.seed)

    def step(name):
        if progress is not None:
            progress(name, 1, 1)

    if contacts is None:
        contacts = contact_windows(fleet, stations, 0.0, duration)
    sat_contacts = contacts[contacts["satellite"].isin(sats)]
    step("contacts")
    eclipses = eclipse_windows(fleet, 0.0, duration)
    step("eclipses")
    targets = mission_targets(mission)
    imaging_sats = _members(fleet, mission.imaging.satellites) if mission.imaging else []
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

    groups = {}
    for key, df in (("contacts", sat_contacts), ("targets", tw), ("eclipses", eclipses), ("relay", relay_rows)):
        groups[key] = {} if df is None else dict(tuple(df.groupby("satellite", sort=False)))

    plans = {}
    for sat in sats:
        def rows(df, key):
            return None if df is None else groups[key].get(sat, df.iloc[:0])

        plans[sat] = SatellitePlan(
            downlink=Windows.from_frame(rows(sat_contacts, "contacts"), "rise_s", "set_s", "station",
                                        max_elevation_deg="max_elevation_deg"),
            targets=Windows.from_frame(rows(tw, "targets"), other="target", best_s="best_s"),
            eclipses=Windows.from_frame(rows(eclipses, "eclipses")),
            relay=Windows.from_frame(rows(relay_rows, "relay"), other="satellite", rate_bps="rate_bps",
                                     delay_s="delay_s"),
        )

    terminals, ground = {}, list(stations)
    if mission.messaging is not None and mission.messaging.terminals:
        msg = mission.messaging
        msg_sats = set(_members(fleet, msg.satellites))
        stations_t = [Station(t.name, t.latitude, t.longitude, 0.0, msg.min_elevation) for t in msg.terminals]
        ground += stations_t
        passes = contact_windows(fleet, stations_t, 0.0, duration)
        passes = passes[passes["satellite"].isin(msg_sats)]
        for t in sorted(msg.terminals, key=lambda x: x.name):
            created = _poisson_times(rng, msg.rate / 3600.0, duration)
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

    imaging = mission.imaging
    policy = Policy(
        storage_bits=mission.storage,
        image_bits=imaging.image_size if imaging else 0.0,
        capture_s=imaging.capture_time if imaging else 0.0,
        imaging_w=imaging.power if imaging else 0.0,
        transmitter_w=mission.downlink.transmitter_power,
        downlink_policy=mission.downlink.policy,
        antennas=mission.downlink.antennas,
        relay_channels=config.relay_channels,
        battery_wh=mission.power.battery,
        initial_charge=mission.power.initial_charge,
        solar_w=mission.power.solar_power,
        bus_w=mission.power.bus_load,
        min_charge=mission.power.min_charge,
    )
    ranges = Ranges.of(fleet, ground)
    sim = Mission(policy, plans, [s.name for s in stations], relay, feeder, DownlinkRate(ranges, config.downlink),
                  outages, duration, router, ranges=ranges)
    sim.start(terminals, {t.name: t.priority for t in targets})
    sim.run()
    step("simulation")
    return mission_metrics(sim, targets, tw, duration)
