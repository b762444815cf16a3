"""The link topology: which links exist at any time, what each carries, and routes through them."""

from __future__ import annotations

import difflib
import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from .constants import C_KM_S, R_EARTH

ISL_POLICIES = ("none", "+grid", "line-of-sight")


@dataclass(frozen=True)
class LinkConfig:
    """Which links exist and what each carries, as a scenario's ``links`` section describes them.

    Link models are objects with ``rate_bps(range_km)`` (see ``constellation.links``). Satellite-station links
    follow the stations' elevation masks; inter-satellite and satellite-relay lines of sight must clear the Earth
    by a grazing altitude. ``feeder_stations`` None means every station that sees the relay.
    """

    downlink: object
    isl_policy: str = "none"
    isl_model: object = None
    isl_grazing_altitude_km: float = 80.0
    isl_max_range_km: float = math.inf
    isl_cross_plane_max_latitude_deg: float | None = None
    relay_model: object = None
    relay_channels: int = 1
    relay_grazing_altitude_km: float = 80.0
    feeder_model: object = None
    feeder_stations: tuple[str, ...] | None = None
    stations_relay: bool = False

    def __post_init__(self):
        if self.isl_policy not in ISL_POLICIES:
            raise ValueError(f"isl policy must be one of {', '.join(ISL_POLICIES)} (got {self.isl_policy!r})")
        if self.isl_policy != "none" and self.isl_model is None:
            raise ValueError("inter-satellite links need a link model")
        if self.isl_grazing_altitude_km < 0 or self.relay_grazing_altitude_km < 0:
            raise ValueError("grazing altitude must be >= 0 km")
        if not self.isl_max_range_km > 0:
            raise ValueError(f"isl max range must be > 0 km (got {self.isl_max_range_km:g})")
        if self.relay_channels < 1:
            raise ValueError(f"relay channels must be >= 1 (got {self.relay_channels})")


NODE_KINDS = ("satellite", "relay", "station")
LINK_KINDS = ("downlink", "feeder", "relay", "isl")
PLAN_COLUMNS = [
    "a", "b", "kind", "start_s", "end_s", "duration_s", "min_range_km", "max_range_km", "delay_s", "rate_bps",
]
SERIES_COLUMNS = ["t_s", "latency_s", "round_trip_s", "hops", "path"]
PLAN_RANGE_SAMPLES = 16
"""Interior points at which ``link_plan`` samples each window's range (the two ends are sampled too)."""
_SEAM_TOLERANCE_RAD = 1e-3
_LIPSCHITZ_FACTOR = 1.01
_SAMPLES_PER_CHUNK = 2_000_000
_STATES_PER_CHUNK = 200_000


@dataclass(frozen=True)
class Links:
    """Every link at one instant as parallel arrays; ``i < j`` index ``Network.names``."""

    t_s: float
    i: np.ndarray
    j: np.ndarray
    kind: np.ndarray
    range_km: np.ndarray
    delay_s: np.ndarray
    rate_bps: np.ndarray

    def __len__(self) -> int:
        return len(self.i)


@dataclass(frozen=True)
class Route:
    """A lowest-latency path at one instant, node names from source to target."""

    path: list[str]
    latency_s: float
    hops: int
    t_s: float

    @property
    def round_trip_s(self) -> float:
        """Twice the one-way latency: every link is symmetric."""
        return 2.0 * self.latency_s


def _dot(a, b):
    return np.einsum("...k,...k->...", a, b)


def _wrap(x):
    return (np.asarray(x) + np.pi) % (2.0 * np.pi) - np.pi


def segment_clearance(a: np.ndarray, b: np.ndarray, radius) -> np.ndarray:
    """Distance (km) from the Earth's centre to the segment a-b minus ``radius``: positive when the line clears it.

    ``a`` and ``b`` are positions (..., 3). As the minimum over s in [0, 1] of |a + s (b - a)|, it is continuous and
    Lipschitz in time with constant max(|a'|, |b'|).
    """
    d = b - a
    dd = _dot(d, d)
    s = np.clip(-_dot(a, d) / np.where(dd > 0.0, dd, 1.0), 0.0, 1.0)
    p = a + s[..., None] * d
    return np.sqrt(_dot(p, p)) - radius


def _horizon_reach(top: float, radius: float) -> float:
    """Greatest range (km) between two points within ``top`` of the Earth's centre whose segment clears the sphere
    ``radius``: 2 sqrt(top^2 - radius^2), the sum of their tangent lengths (0 when top <= radius)."""
    return 2.0 * math.sqrt(max(top * top - radius * radius, 0.0))


def _reach(limit: float, model) -> float:
    """The shorter of a configured range limit and the range beyond which ``model`` stops closing."""
    own = getattr(model, "max_range_km", None)
    return min(limit, float(own())) if callable(own) else limit


def _walker_seam_offset(fleet, idx, plane, slot, n_planes: int, n_slots: int) -> int | None:
    """Slot offset of the links from the last plane to the first, or None when that seam does not close."""
    r, v = fleet.states(np.zeros(len(idx)), idx, frame="gcrs")
    h = np.cross(r, v)
    h /= np.linalg.norm(h, axis=1)[:, None]
    raan = np.arctan2(h[:, 0], -h[:, 1])
    node = np.stack([np.cos(raan), np.sin(raan), np.zeros_like(raan)], axis=1)
    phase = np.arctan2(_dot(np.cross(h, node), r), _dot(node, r)) - 2.0 * np.pi * slot / n_slots

    def mean_angle(x, p):
        return float(np.angle(np.mean(np.exp(1j * x[plane == p]))))

    last = n_planes - 1
    if not all(np.any(plane == p) for p in (0, 1, last)):
        return None
    step_raan = _wrap(mean_angle(raan, 1) - mean_angle(raan, 0))
    if abs(_wrap(mean_angle(raan, last) + step_raan - mean_angle(raan, 0))) > _SEAM_TOLERANCE_RAD:
        return None
    step_phase = _wrap(mean_angle(phase, 1) - mean_angle(phase, 0))
    seam = _wrap(mean_angle(phase, last) + step_phase - mean_angle(phase, 0))
    return int(round(n_slots * seam / (2.0 * np.pi))) % n_slots


def grid_pairs(fleet) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``+grid`` links of a fleet's Walker shells: fleet indices a < b, and whether each link is cross-plane.

    Each satellite links to the previous and next slot of its plane and to the same slot of the adjacent planes
    of its group. The seam between the last plane P-1 and the first is read from the geometry at the epoch: a
    Walker delta T/P/F puts slot k of plane p at argument of latitude 2 pi k / S + 2 pi F p / T (S = T / P), so
    the plane after P-1, one full turn of RAAN on, is plane 0 with its slots moved on by F: slot k of plane P-1
    links to slot (k + F) mod S of plane 0, and the seam links keep the same geometry as every other cross-plane
    link. A Walker star's seam, where the first and last planes counter-rotate, has no links (as in Iridium).
    Raises ValueError when a satellite has no plane and slot.
    """
    sats = [i for i, m in enumerate(fleet.members) if m.kind == "satellite"]
    loose = [fleet.members[i].name for i in sats if fleet.members[i].plane is None or fleet.members[i].slot is None]
    if loose:
        shown = ", ".join(loose[:10]) + (f" and {len(loose) - 10} more" if len(loose) > 10 else "")
        raise ValueError(f"+grid needs Walker shells: {shown} {'is' if len(loose) == 1 else 'are'} not in one")
    groups: dict[str, list[int]] = {}
    for i in sats:
        groups.setdefault(fleet.members[i].group, []).append(i)
    ia, ib, cross = [np.zeros(0, int)], [np.zeros(0, int)], [np.zeros(0, bool)]
    for group, members in groups.items():
        idx = np.array(members)
        plane = np.array([fleet.members[i].plane for i in members])
        slot = np.array([fleet.members[i].slot for i in members])
        n_planes, n_slots = int(plane.max()) + 1, int(slot.max()) + 1
        cell = np.full((n_planes, n_slots), -1)
        cell[plane, slot] = idx
        if np.count_nonzero(cell >= 0) < len(members):
            raise ValueError(f"+grid: two satellites of group {group!r} share a plane and slot")
        candidates = [(cell, np.roll(cell, -1, axis=1), False)]
        if n_planes > 1:
            candidates.append((cell[:-1], cell[1:], True))
            offset = _walker_seam_offset(fleet, idx, plane, slot, n_planes, n_slots)
            if offset is not None:
                candidates.append((cell[-1:], np.roll(cell[:1], -offset, axis=1), True))
        for a, b, is_cross in candidates:
            a, b = a.ravel(), b.ravel()
            ok = (a >= 0) & (b >= 0) & (a != b)
            ia.append(np.minimum(a[ok], b[ok]))
            ib.append(np.maximum(a[ok], b[ok]))
            cross.append(np.full(int(ok.sum()), is_cross))
    ia, ib, cross = np.concatenate(ia), np.concatenate(ib), np.concatenate(cross)
    _, first = np.unique(ia * len(fleet) + ib, return_index=True)
    return ia[first], ib[first], cross[first]


class Network:
    """The links between a fleet and its ground stations at any time, the graphs they make, and routes through them.

    Nodes are the fleet's members in fleet order (satellites and relays), then the stations (``NODE_KINDS``);
    links are of the ``LINK_KINDS``. Satellite-station ("downlink") and relay-station ("feeder") links need the
    node above the station's elevation mask; feeders go to ``config.feeder_stations`` only when given and carry
    ``feeder_model`` (``downlink`` when it is None).
    Satellite-relay ("relay") and inter-satellite ("isl") lines must clear the sphere R_EARTH plus their grazing
    altitude. Every ISL, grid ones included, must also be within ``isl_max_range_km``; the reach of a link model
    with ``max_range_km()`` limits its links too, and a link whose model gives rate 0 is no link. A station link
    needs the satellite within its model's ``range_limit_km`` as well, when the model has one; a model with an
    ``atmosphere`` gives the rate at the station's elevation of the satellite. Routes never pass through a ground
    station unless ``config.stations_relay``.

    Every method that takes a time takes it in any form ``scenario.to_seconds`` reads: seconds since the epoch, an
    astropy Quantity, a ``timedelta``, a string with a unit (``"10 min"``), or an absolute time (ISO string,
    ``datetime``, astropy ``Time``) measured from ``epoch`` (default: the fleet's epoch). With ``duration_s`` (the
    run length, as ``Scenario.network()`` sets it) a time outside [0, duration_s] is a ValueError naming the
    argument; without it any finite time goes.
    """

    def __init__(self, fleet, stations, config: LinkConfig, *, epoch=None, duration_s: float | None = None):
        from .access import station_arrays

        if epoch is None:
            epoch = getattr(fleet, "epoch", None)
        elif not type(epoch).__module__.startswith("astropy.time"):
            from .scenario import utc_time

            epoch = utc_time(epoch, "epoch")
        self.epoch = epoch
        """The time ``t = 0`` (astropy Time), which ISO times are measured from; None when unknown."""
        if duration_s is not None:
            from .scenario import to_duration

            duration_s = to_duration(duration_s, name="duration_s")
        self.duration_s = duration_s
        """Length of the run (s): times outside [0, duration_s] are refused; None accepts any finite time."""
        self.fleet = fleet
        self.stations = list(stations)
        self.config = config
        self.names = list(fleet.names) + [s.name for s in self.stations]
        repeated = sorted(n for n, c in Counter(self.names).items() if c > 1)
        if repeated:
            raise ValueError(f"node names must be unique across satellites, relays and stations; "
                             f"repeated: {', '.join(repeated)}")
        self._index = {n: k for k, n in enumerate(self.names)}
        self.n_fleet = len(fleet)
        self.kinds = [m.kind for m in fleet.members] + ["station"] * len(self.stations)
        member_kind = np.array(self.kinds[: self.n_fleet], dtype=object)
        self._sats = np.nonzero(member_kind == "satellite")[0]
        self._relays = np.nonzero(member_kind == "relay")[0]
        self._sta_pos, self._sta_up, self._sin_mask = station_arrays(self.stations)
        self._c_up = _dot(self._sta_pos, self._sta_up)
        self._s2 = _dot(self._sta_pos, self._sta_pos)
        self._feeder = np.ones(len(self.stations), dtype=bool)
        if config.feeder_stations is not None:
            station_names = [s.name for s in self.stations]
            for name in config.feeder_stations:
                if name not in station_names:
                    raise ValueError(f"feeder station {name!r} is not a ground station" + _hint(name, station_names))
            self._feeder = np.isin(station_names, list(config.feeder_stations))
        self._feeder_model = config.downlink if config.feeder_model is None else config.feeder_model
        self._isl_radius = R_EARTH + config.isl_grazing_altitude_km
        self._relay_radius = R_EARTH + config.relay_grazing_altitude_km
        self._isl_reach = _reach(config.isl_max_range_km, config.isl_model)
        self._relay_reach = _reach(math.inf, config.relay_model)
        self._has_relay_links = len(self._relays) > 0 and config.relay_model is not None
        self._grid = grid_pairs(fleet) if config.isl_policy == "+grid" else None
        self._latitude_cut = config.isl_policy == "+grid" and config.isl_cross_plane_max_latitude_deg is not None
        self._last = None

    def __repr__(self) -> str:
        return (f"Network({len(self._sats)} satellites, {len(self._relays)} relays, {len(self.stations)} stations, "
                f"isl {self.config.isl_policy})")

    def index(self, name: str) -> int:
        """Node index of ``name``; ValueError naming close matches when there is no such node."""
        try:
            return self._index[name]
        except (KeyError, TypeError):
            raise ValueError(f"no satellite, relay or station named {name!r}" + _hint(name, self.names)) from None

    def _time(self, t, name: str = "t") -> float:
        """Seconds since the epoch from any time form, inside the run when its length is known."""
        if isinstance(t, (float, int)) and not isinstance(t, bool):
            x = float(t)
            end = self.duration_s
            if (end is None and x - x == 0.0) or (end is not None and 0.0 <= x <= end):
                return x
        from .scenario import to_seconds

        return to_seconds(t, epoch=self.epoch, end=self.duration_s, name=name)

    def _times(self, times, name: str = "times") -> np.ndarray:
        """Seconds since the epoch (1-d float array) from an array of times or a sequence of any time forms."""
        if isinstance(times, (str, bytes)) or not np.iterable(times):
            return np.array([self._time(times, name)])
        if hasattr(times, "to_numpy"):
            times = times.to_numpy()
        if hasattr(times, "unit") and hasattr(times, "to_value"):
            import astropy.units as u

            if not (times.unit == u.dimensionless_unscaled or times.unit.is_equivalent(u.s)):
                return np.array([self._time(np.ravel(times)[0], f"{name}[0]")])
            times = np.asarray(times.to_value(u.s), dtype=float)
        elif type(times).__module__.startswith("astropy.time"):
            if self.epoch is None:
                return np.array([self._time(times[0], f"{name}[0]")])
            times = np.round(np.asarray((times - self.epoch).to_value("s"), dtype=float), 9)
        if isinstance(times, np.ndarray) and times.dtype.kind in "Mm":
            if times.dtype.kind == "m":
                times = times / np.timedelta64(1, "s")
            elif self.epoch is not None:
                from astropy.time import Time

                times = np.round(np.asarray((Time(times.ravel(), scale="utc") - self.epoch).to_value("s"),
                                            dtype=float), 9)
        if isinstance(times, np.ndarray) and times.dtype.kind in "fiu":
            x = np.asarray(times, dtype=float).ravel()
            end = self.duration_s
            ok = np.isfinite(x) if end is None else (x >= 0.0) & (x <= end)
            if ok.all():
                return x
            return np.array([v if good else self._time(v, f"{name}[{k}]")
                             for k, (v, good) in enumerate(zip(x.tolist(), ok.tolist()))], dtype=float)
        return np.array([self._time(t, f"{name}[{k}]") for k, t in enumerate(np.ravel(times)
                         if isinstance(times, np.ndarray) else times)], dtype=float)

    def _positions(self, t: float) -> np.ndarray:
        if self.n_fleet == 0:
            return np.zeros((0, 3))
        return self.fleet.states(np.array([t]), frame="itrs")[0][:, 0, :]

    def links_at(self, t) -> Links:
        """Every link at ``t`` (seconds since the epoch, or any time form; see the class), computed for all node
        pairs at once (arrays read-only: the last answer is kept for the next call at the same time).

        Line-of-sight ISL candidates come from a cKDTree range query, within ``isl_max_range_km`` or
        2 sqrt(r_max^2 - (R_EARTH + grazing)^2) if shorter: two points whose line clears the sphere are no further
        apart than the sum of their tangent lengths, so the query is bounded even with no range limit.
        """
        return self._links_at(self._time(t))

    def _links_at(self, t: float) -> Links:
        if self._last is not None and self._last[0] == t:
            return self._last[1]
        r = self._positions(t)
        parts = self._station_links(r) + self._relay_links(r) + self._isl_links(r)
        i, j, kind, rng, rate = [], [], [], [], []
        for a, b, name, d, model, *sky in parts:
            bps = np.asarray(model.rate_bps(d, *sky), dtype=float) if len(d) else np.zeros(0)
            ok = bps > 0.0
            i.append(a[ok])
            j.append(b[ok])
            kind.append(np.full(int(ok.sum()), name, dtype="<U8"))
            rng.append(d[ok])
            rate.append(bps[ok])
        rng = np.concatenate(rng) if rng else np.zeros(0)
        arrays = [
            np.concatenate(i).astype(np.intp) if i else np.zeros(0, np.intp),
            np.concatenate(j).astype(np.intp) if j else np.zeros(0, np.intp),
            np.concatenate(kind) if kind else np.zeros(0, "<U8"),
            rng,
            rng / C_KM_S,
            np.concatenate(rate) if rate else np.zeros(0),
        ]
        for x in arrays:
            x.flags.writeable = False
        links = Links(t, *arrays)
        self._last = (t, links, r)
        return links

    def _station_links(self, r):
        if not self.stations or self.n_fleet == 0:
            return []
        z = r @ self._sta_up.T - self._c_up
        rho2 = _dot(r, r)[:, None] - 2.0 * (r @ self._sta_pos.T) + self._s2
        above = z - np.sqrt(np.maximum(rho2, 0.0)) * self._sin_mask > 0.0
        parts = []
        for kind, rows, model, allowed in (
            ("downlink", self._sats, self.config.downlink, None),
            ("feeder", self._relays, self._feeder_model, self._feeder),
        ):
            seen = above[rows] if allowed is None else above[rows] & allowed
            a, g = np.nonzero(seen)
            i = rows[a]
            rng = np.linalg.norm(r[i] - self._sta_pos[g], axis=1)
            part = (i, self.n_fleet + g, kind, rng, model)
            if getattr(model, "atmosphere", None) is not None:
                elevation = np.degrees(np.arcsin(np.clip(z[i, g] / np.maximum(rng, 1e-9), -1.0, 1.0)))
                part += (elevation, [self.stations[k] for k in g])
            parts.append(part)
        return parts

    def _relay_links(self, r):
        if not self._has_relay_links or len(self._sats) == 0:
            return []
        s = np.repeat(self._sats, len(self._relays))
        q = np.tile(self._relays, len(self._sats))
        rng = np.linalg.norm(r[q] - r[s], axis=1)
        ok = (segment_clearance(r[s], r[q], self._relay_radius) > 0.0) & (rng <= self._relay_reach)
        s, q, rng = s[ok], q[ok], rng[ok]
        return [(np.minimum(s, q), np.maximum(s, q), "relay", rng, self.config.relay_model)]

    def _isl_links(self, r):
        policy = self.config.isl_policy
        if policy == "none" or len(self._sats) < 2:
            return []
        if policy == "+grid":
            a, b, cross = self._grid
            keep = None
            if self._latitude_cut:
                from .frames import itrs_to_geodetic

                lat = np.abs(itrs_to_geodetic(r)[0])
                keep = ~cross | (np.maximum(lat[a], lat[b]) <= self.config.isl_cross_plane_max_latitude_deg)
        else:
            from scipy.spatial import cKDTree

            rs = r[self._sats]
            top = float(np.max(np.linalg.norm(rs, axis=1)))
            pairs = cKDTree(rs).query_pairs(min(self._isl_reach, _horizon_reach(top, self._isl_radius)),
                                            output_type="ndarray")
            a, b = self._sats[pairs[:, 0]], self._sats[pairs[:, 1]]
            keep = None
        rng = np.linalg.norm(r[b] - r[a], axis=1)
        ok = (segment_clearance(r[a], r[b], self._isl_radius) > 0.0) & (rng <= self._isl_reach)
        if keep is not None:
            ok &= keep
        a, b, rng = a[ok], b[ok], rng[ok]
        return [(np.minimum(a, b), np.maximum(a, b), "isl", rng, self.config.isl_model)]

    def graph_at(self, t):
        """The network at ``t`` (any time form; see the class) as a networkx Graph.

        Nodes carry ``kind`` and ``position_km`` (ITRS); edges carry ``kind``, ``range_km``, ``delay_s`` and
        ``rate_bps``; the graph's ``t_s`` attribute is the time in seconds since the epoch.
        """
        return self._graph_at(self._time(t))

    def _graph_at(self, t: float):
        import networkx as nx

        links = self._links_at(t)
        r = self._last[2]
        graph = nx.Graph(t_s=t)
        positions = np.vstack([r, self._sta_pos]).tolist()
        graph.add_nodes_from(
            (name, {"kind": kind, "position_km": tuple(p)}) for name, kind, p in zip(self.names, self.kinds, positions)
        )
        names = np.array(self.names, dtype=object)
        attrs = (
            {"kind": k, "range_km": d, "delay_s": s, "rate_bps": b}
            for k, d, s, b in zip(links.kind.tolist(), links.range_km.tolist(), links.delay_s.tolist(),
                                  links.rate_bps.tolist())
        )
        graph.add_edges_from(zip(names[links.i], names[links.j], attrs))
        return graph

    def snapshots(self, times):
        """Graphs at each of ``times``, one at a time (an iterator). An array, list or tuple of times is checked
        whole before the first graph; any other iterable (a generator, say) is read one time at a time."""
        if isinstance(times, np.ndarray | list | tuple) or hasattr(times, "unit") or hasattr(times, "jd1"):
            return (self._graph_at(t) for t in self._times(times).tolist())
        return (self._graph_at(self._time(t, f"times[{k}]")) for k, t in enumerate(times))

    def lowest_latency(self, a: str, b: str, t) -> Route | None:
        """The path of least propagation delay from ``a`` to ``b`` at ``t`` (any time form; see the class;
        networkx Dijkstra), or None."""
        import networkx as nx

        self.index(a)
        self.index(b)
        t = self._time(t)
        full = self._graph_at(t)
        graph = full
        if not self.config.stations_relay:
            graph = nx.subgraph_view(full, filter_node=lambda n: n == a or n == b or full.nodes[n]["kind"] != "station")
        try:
            latency, path = nx.single_source_dijkstra(graph, a, b, weight="delay_s")
        except nx.NetworkXNoPath:
            return None
        return Route(list(path), float(latency), len(path) - 1, t)

    def _sparse(self, links: Links):
        """Directed csgraph of the links; without ``stations_relay`` each station is an out-node (n_fleet + g)
        and an in-node (n_fleet + G + g), so no path can pass through it."""
        from scipy.sparse import csr_matrix

        g = len(self.stations)
        i, j, w = links.i, links.j, links.delay_s
        if self.config.stations_relay:
            size, j_in = self.n_fleet + g, j
        else:
            size, j_in = self.n_fleet + 2 * g, np.where(j >= self.n_fleet, j + g, j)
        rows = np.concatenate([i, j])
        cols = np.concatenate([j_in, i])
        return csr_matrix((np.concatenate([w, w]), (rows, cols)), shape=(size, size))

    def _target_node(self, k: int) -> int:
        if k >= self.n_fleet and not self.config.stations_relay:
            return k + len(self.stations)
        return k

    def latency_matrix(self, t, sources=None, targets=None) -> np.ndarray:
        """One-way lowest latency (s) from every source to every target at ``t`` (any time form; see the class):
        array (sources, targets).

        ``sources`` and ``targets`` are node names (default: every station). Unreachable pairs are inf and a node
        to itself is 0. Same answers as ``lowest_latency``, through scipy's csgraph Dijkstra.
        """
        from scipy.sparse.csgraph import dijkstra

        t = self._time(t)
        station_names = [s.name for s in self.stations]
        src = [self.index(n) for n in (station_names if sources is None else sources)]
        tgt = [self.index(n) for n in (station_names if targets is None else targets)]
        if not src or not tgt:
            return np.zeros((len(src), len(tgt)))
        dist = dijkstra(self._sparse(self._links_at(t)), directed=True, indices=src)
        out = dist[:, [self._target_node(k) for k in tgt]]
        out[np.equal.outer(np.array(src), np.array(tgt))] = 0.0
        return out

    def latency_series(self, a: str, b: str, times):
        """Lowest latency from ``a`` to ``b`` at each of ``times`` as a DataFrame (t_s, latency_s, round_trip_s,
        hops, path); latency NaN, hops NA and path empty where no route exists.

        ``times`` is an array of seconds (checked once, then used as is), an astropy Quantity or Time array, or a
        list of times in any form (see the class)."""
        import pandas as pd
        from scipy.sparse.csgraph import dijkstra

        src, tgt_name = self.index(a), self.index(b)
        tgt = self._target_node(tgt_name)
        n_nodes = len(self.names)
        rows = {c: [] for c in SERIES_COLUMNS}
        for t in self._times(times).tolist():
            if src == tgt_name:
                latency, path = 0.0, [a]
            else:
                dist, pred = dijkstra(self._sparse(self._links_at(t)), directed=True, indices=src,
                                      return_predecessors=True)
                latency, path = float(dist[tgt]), []
                if np.isfinite(latency):
                    node = tgt
                    while node != src:
                        path.append(self.names[node if node < n_nodes else node - len(self.stations)])
                        node = pred[node]
                    path = [a] + path[::-1]
                else:
                    latency = math.nan
            rows["t_s"].append(float(t))
            rows["latency_s"].append(latency)
            rows["round_trip_s"].append(2.0 * latency)
            rows["hops"].append(len(path) - 1 if path else pd.NA)
            rows["path"].append(path)
        df = pd.DataFrame(rows, columns=SERIES_COLUMNS)
        df["hops"] = df["hops"].astype("Int64")
        return df

    @staticmethod
    def unreachable_intervals(series) -> list[tuple[float, float]]:
        """See the module function ``unreachable_intervals``."""
        return unreachable_intervals(series)

    def link_plan(self, start_s, end_s, *, contacts=None):
        """Every link window in [start_s, end_s] as a DataFrame, one row per window (columns ``PLAN_COLUMNS``);
        the two ends take any time form (see the class) and times in the table are seconds since the epoch.

        Station windows (downlink, feeder) are ``access.contact_windows``, or ``contacts`` when the caller already
        has that table for this fleet, these stations and this span. Relay and ISL windows come from
        ``access.find_windows`` on f = min(segment clearance, reach - range, and for cut-off cross-plane grid links
        the distance in km along the meridian to the latitude limit), with the margins of ``_pair_margins`` so
        that windows and outages shorter than the grid step are found; ``f`` is stretched above zero by
        peak / dip margin so that the one margin ``find_windows`` takes serves both. A link that is up all along
        is one window covering the span. ``min_range_km`` is the station pass's exact minimum for station
        windows; otherwise it and ``max_range_km`` are the extremes over ``PLAN_RANGE_SAMPLES`` evenly spaced
        interior points plus the two ends. ``delay_s`` and ``rate_bps`` are at the maximum range (the figures
        store-and-forward routing can count on); a station window's rate may be 0 where the downlink budget does
        not close at the pass's far edge. Station windows are cut to where the satellite is within the link model's
        ``range_limit_km`` (``within_range``), and a model with an ``atmosphere`` gives the rate with the worst
        attenuation at the window's lowest elevation or above.
        """
        import pandas as pd

        start_s, end_s = self._time(start_s, "start_s"), self._time(end_s, "end_s")
        if end_s <= start_s or self.n_fleet == 0:
            return pd.DataFrame({c: [] for c in PLAN_COLUMNS})
        frames = [self._station_plan(start_s, end_s, contacts), self._pair_plan(start_s, end_s)]
        frames = [f for f in frames if len(f)]
        if not frames:
            return pd.DataFrame({c: [] for c in PLAN_COLUMNS})
        plan = pd.concat(frames, ignore_index=True)
        return plan.sort_values(["start_s", "a", "b"], kind="stable").reset_index(drop=True)

    def _window_ranges(self, node, other, t0, t1):
        """Least and greatest range (km) over each window from ``node`` (fleet index) to ``other`` (fleet index,
        or station position (W, 3)), sampled at ``PLAN_RANGE_SAMPLES`` interior points and both ends."""
        frac = np.linspace(0.0, 1.0, PLAN_RANGE_SAMPLES + 2)
        low, high = np.empty(len(node)), np.empty(len(node))
        step = max(1, _STATES_PER_CHUNK // len(frac))
        for lo in range(0, len(node), step):
            w = slice(lo, lo + step)
            times = (t0[w, None] + (t1[w] - t0[w])[:, None] * frac).ravel()
            r = self.fleet.states(times, np.repeat(node[w], len(frac)), frame="itrs")[0]
            if other.ndim == 2:
                there = np.repeat(other[w], len(frac), axis=0)
            else:
                there = self.fleet.states(times, np.repeat(other[w], len(frac)), frame="itrs")[0]
            ranges = np.linalg.norm(there - r, axis=-1).reshape(-1, len(frac))
            low[w], high[w] = ranges.min(axis=1), ranges.max(axis=1)
        return low, high

    def _station_plan(self, start_s, end_s, contacts=None):
        import pandas as pd

        from .access import contact_windows, within_range

        def nodes(cw):
            sat = np.array([self._index[n] for n in cw["satellite"]], dtype=int)
            g = np.array([self._index[n] for n in cw["station"]], dtype=int) - self.n_fleet
            return sat, g, np.array([self.kinds[k] == "relay" for k in sat], dtype=bool)

        cw = contact_windows(self.fleet, self.stations, start_s, end_s) if contacts is None else contacts
        sat, g, relay = nodes(cw)
        keep = ~relay | self._feeder[g]
        sat, g, relay, cw = sat[keep], g[keep], relay[keep], cw[keep]
        models = (self.config.downlink, self._feeder_model)
        limits = [range_limit(m) for m in models]
        if len(cw) and any(math.isfinite(x) for x in limits):
            cw = within_range(self.fleet, self.stations, cw, np.where(relay, limits[1], limits[0]))
            sat, g, relay = nodes(cw)
        if len(cw) == 0:
            return cw.iloc[:0]
        t0, t1 = cw["rise_s"].to_numpy(float), cw["set_s"].to_numpy(float)
        max_range = self._window_ranges(sat, self._sta_pos[g], t0, t1)[1]
        rate = np.zeros(len(sat))
        for flag, model, limit in zip((False, True), models, limits):
            rows = np.nonzero(relay == flag)[0]
            if not len(rows):
                continue
            d = np.minimum(max_range[rows], limit)
            if getattr(model, "atmosphere", None) is None:
                rate[rows] = np.asarray(model.rate_bps(d), dtype=float)
                continue
            ends = np.concatenate([t0[rows], t1[rows]])
            lowest = self._elevations(np.tile(sat[rows], 2), np.tile(g[rows], 2), ends).reshape(2, -1).min(axis=0)
            rate[rows] = np.asarray(model.rate_bps(d, lowest, [self.stations[k] for k in g[rows]], lowest=True),
                                    dtype=float)
        return pd.DataFrame({
            "a": cw["satellite"].to_numpy(object),
            "b": cw["station"].to_numpy(object),
            "kind": np.where(relay, "feeder", "downlink").astype(object),
            "start_s": t0,
            "end_s": t1,
            "duration_s": t1 - t0,
            "min_range_km": cw["min_range_km"].to_numpy(float),
            "max_range_km": max_range,
            "delay_s": max_range / C_KM_S,
            "rate_bps": rate,
        })

    def _elevations(self, sat, g, t) -> np.ndarray:
        """Elevation (deg) of fleet members ``sat`` above stations ``g`` at times ``t``."""
        rho = self.fleet.states(t, sat, frame="itrs")[0] - self._sta_pos[g]
        sin_el = _dot(rho, self._sta_up[g]) / np.maximum(np.linalg.norm(rho, axis=-1), 1e-9)
        return np.degrees(np.arcsin(np.clip(sin_el, -1.0, 1.0)))

    def _plan_pairs(self, grid, positions, speeds):
        """Candidate (a, b, is_isl, cut) for relay and ISL windows over the grid."""
        parts = []
        if self._has_relay_links and len(self._sats):
            s = np.repeat(self._sats, len(self._relays))
            q = np.tile(self._relays, len(self._sats))
            parts.append((np.minimum(s, q), np.maximum(s, q), np.zeros(len(s), bool), np.zeros(len(s), bool)))
        policy = self.config.isl_policy
        if policy == "+grid":
            a, b, cross = self._grid
            parts.append((a, b, np.ones(len(a), bool), cross & self._latitude_cut))
        elif policy == "line-of-sight" and len(self._sats) > 1:
            from scipy.spatial import cKDTree

            h = grid[1] - grid[0] if len(grid) > 1 else 0.0
            slack = float(np.max(speeds[self._sats])) * h
            top = float(np.max(np.linalg.norm(positions[self._sats], axis=-1))) + slack / 2.0
            reach = min(self._isl_reach, _horizon_reach(top, self._isl_radius)) + slack
            found = [cKDTree(positions[self._sats, k]).query_pairs(reach, output_type="ndarray")
                     for k in range(len(grid))]
            pairs = np.unique(np.concatenate(found), axis=0)
            if len(pairs):
                a, b = self._sats[pairs[:, 0]], self._sats[pairs[:, 1]]
                parts.append((a, b, np.ones(len(a), bool), np.zeros(len(a), bool)))
        if not parts:
            return None
        return tuple(np.concatenate(x) for x in zip(*parts))

    def _pair_function(self, ra, rb, isl, cut, lat_a=None, lat_b=None):
        """Positive exactly when the relay or ISL link between positions ``ra`` and ``rb`` is up (km)."""
        radius = np.where(isl, self._isl_radius, self._relay_radius)
        reach = np.where(isl, self._isl_reach, self._relay_reach)
        f = np.minimum(segment_clearance(ra, rb, radius), reach - np.linalg.norm(rb - ra, axis=-1))
        if lat_a is not None:
            limit = np.radians(self.config.isl_cross_plane_max_latitude_deg)
            term = (limit - np.radians(np.maximum(np.abs(lat_a), np.abs(lat_b)))) * R_EARTH
            f = np.where(cut, np.minimum(f, term), f)
        return f

    def _pair_margins(self, a, b, cut, h: float, speeds):
        """How far (km) the link function of each pair can rise above (``peak``) and dip below (``dip``) its samples
        between two grid points ``h`` apart.

        Every term is Lipschitz with constant 1.01 (v_a + v_b) (see ``segment_clearance``; a latitude rate is at most
        v / 6335 km, the least meridian radius of curvature), so neither exceeds 1.01 (v_a + v_b) h / 2. Dips are
        bounded more tightly by convexity, as a minimum of terms is no more convex than its most convex term:
        clearance'' <= |p''| + |p'|^2 / |p| over points p of the segment, with |p| > R_EARTH / 2 within a step of a
        near-zero sample; (reach - range)'' <= |a''| + |b''|; the ITRS acceleration |p''| is at most gravity at
        perigee (plus 1 % for J2) and the Coriolis and centrifugal terms. Latitude-cut pairs keep the Lipschitz
        bound (|latitude| turns sharply over the poles).
        """
        from .constants import MU_EARTH, OMEGA_EARTH

        semi_major = self.fleet.semi_major_axes()
        accel = 1.01 * MU_EARTH / self.fleet.perigee_radii() ** 2 + 2.0 * OMEGA_EARTH * speeds
        accel = accel + OMEGA_EARTH**2 * semi_major
        peak = _LIPSCHITZ_FACTOR * (speeds[a] + speeds[b]) * h / 2.0
        clearance = np.maximum(accel[a], accel[b]) + 2.0 * np.maximum(speeds[a], speeds[b]) ** 2 / R_EARTH
        convex = np.maximum(clearance, accel[a] + accel[b]) * h * h / 8.0
        dip = np.where(cut, peak, np.minimum(peak, convex))
        return np.maximum(peak, 1e-9), np.maximum(dip, 1e-9)

    def _pair_plan(self, start_s, end_s):
        import pandas as pd

        from .access import find_windows, grid_positions, sample_step, time_grid
        from .frames import itrs_to_geodetic

        grid = time_grid(start_s, end_s, sample_step(self.fleet))
        positions = grid_positions(self.fleet, np.arange(self.n_fleet), grid)
        speeds = self.fleet.max_speeds()
        pairs = self._plan_pairs(grid, positions, speeds)
        if pairs is None:
            return pd.DataFrame({c: [] for c in PLAN_COLUMNS})
        a, b, isl, cut = pairs
        with_latitude = bool(np.any(cut))
        latitude = itrs_to_geodetic(positions)[0] if with_latitude else None
        peak, dip = self._pair_margins(a, b, cut, grid[1] - grid[0] if len(grid) > 1 else 0.0, speeds)
        stretch = peak / dip
        chunk = max(1, _SAMPLES_PER_CHUNK // len(grid))

        def samples():
            for lo in range(0, len(a), chunk):
                ids = np.arange(lo, min(len(a), lo + chunk))
                lat = (latitude[a[ids]], latitude[b[ids]]) if with_latitude else ()
                f = self._pair_function(positions[a[ids]], positions[b[ids]], isl[ids, None], cut[ids, None], *lat)
                yield ids, np.where(f > 0.0, f * stretch[ids, None], f), peak[ids]

        def evaluate(ids, t):
            ra = self.fleet.states(t, a[ids], frame="itrs")[0]
            rb = self.fleet.states(t, b[ids], frame="itrs")[0]
            lat = (itrs_to_geodetic(ra)[0], itrs_to_geodetic(rb)[0]) if with_latitude else ()
            f = self._pair_function(ra, rb, isl[ids], cut[ids], *lat)
            return np.where(f > 0.0, f * stretch[ids], f)

        pid, t0, t1 = find_windows(samples(), grid, evaluate)
        min_range, max_range = self._window_ranges(a[pid], b[pid], t0, t1)
        is_isl = isl[pid]
        rate = np.zeros(len(pid))
        for flag, model, reach in ((True, self.config.isl_model, self._isl_reach),
                                   (False, self.config.relay_model, self._relay_reach)):
            rows = is_isl == flag
            if rows.any():
                rate[rows] = np.asarray(model.rate_bps(np.minimum(max_range[rows], reach)), dtype=float)
        names = np.array(self.names, dtype=object)
        return pd.DataFrame({
            "a": names[a[pid]],
            "b": names[b[pid]],
            "kind": np.where(is_isl, "isl", "relay").astype(object),
            "start_s": t0,
            "end_s": t1,
            "duration_s": t1 - t0,
            "min_range_km": min_range,
            "max_range_km": max_range,
            "delay_s": max_range / C_KM_S,
            "rate_bps": rate,
        })


def range_limit(model) -> float:
    """The range (km) beyond which a ground link model carries nothing however high the satellite: its
    ``range_limit_km``, inf when it has none."""
    limit = getattr(model, "range_limit_km", None)
    return math.inf if limit is None else float(limit)


def unreachable_intervals(series) -> list[tuple[float, float]]:
    """Spans of a ``latency_series`` with no route: (first unreachable sample, next reachable sample) in seconds.

    A span still open at the last sample ends there.
    """
    t = series["t_s"].to_numpy(float)
    down = series["latency_s"].isna().to_numpy()
    if not down.any():
        return []
    edges = np.diff(np.concatenate([[0], down.astype(np.int8), [0]]))
    starts = np.nonzero(edges == 1)[0]
    stops = np.nonzero(edges == -1)[0]
    return [(float(t[s]), float(t[min(e, len(t) - 1)])) for s, e in zip(starts, stops)]


def _hint(name, choices) -> str:
    close = difflib.get_close_matches(str(name), list(choices), n=3)
    return f" (did you mean {', '.join(map(repr, close))}?)" if close else ""
