"""A scenario's satellites and their states at any time: the bulk propagator the rest of the pipeline uses."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from ..constants import MU_EARTH, OMEGA_EARTH, R_EARTH
from ..frames import EarthRotation
from .elements import Elements
from .propagation import mean_elements_position_one, mean_elements_state, secular_rates
from .tabulated import Trajectory
from .tle import TLE, sgp4_teme

MODELS = ("j2", "twobody", "sgp4", "numerical", "tabulated")
KEPLER, SGP4, TABLE = 0, 1, 2
_KIND = {"j2": KEPLER, "twobody": KEPLER, "sgp4": SGP4, "numerical": TABLE, "tabulated": TABLE}
"""Propagators: secular J2 and two-body on mean elements, SGP4 on TLE/OMM element sets, and a trajectory (a
numerically integrated orbit, or a tabulated ephemeris such as an OEM) interpolated from its table."""


@dataclass(frozen=True)
class Member:
    """One satellite: its name, role, the group it came from, and its orbit: mean elements, an SGP4 element set
    (a ``TLE``, or anything with a ``satrec()``, such as an OMM) or a ``Trajectory``.

    ``plane`` and ``slot`` (0-based) place a member of a Walker shell in its pattern; None elsewhere.
    """

    name: str
    orbit: Elements | TLE | Trajectory
    model: str = "j2"
    kind: str = "satellite"
    group: str = ""
    plane: int | None = None
    slot: int | None = None

    def __post_init__(self):
        if self.model not in MODELS:
            raise ValueError(f"propagator must be one of {', '.join(MODELS)} (got {self.model!r})")
        if hasattr(self.orbit, "satrec") != (self.model == "sgp4"):
            raise ValueError(f"{self.name}: SGP4 propagates TLEs and OMMs, and those propagate with SGP4 only")
        if isinstance(self.orbit, Trajectory) != (self.model in ("numerical", "tabulated")):
            raise ValueError(f"{self.name}: a '{self.model}' member needs "
                             f"{'a Trajectory' if self.model in ('numerical', 'tabulated') else 'mean elements'}")


@dataclass
class Ephemeris:
    """States of every satellite at every epoch: arrays (S, T, 3) in km and km/s, GCRS and ITRS."""

    names: list[str]
    epoch: object
    t: np.ndarray
    r_gcrs: np.ndarray
    v_gcrs: np.ndarray
    r_itrs: np.ndarray
    v_itrs: np.ndarray

    @property
    def times(self):
        """The epochs as an astropy Time array (UTC)."""
        import astropy.units as u

        return self.epoch + self.t * u.s

    def geodetic(self):
        """WGS84 latitude, longitude (deg) and height (km) of every sub-satellite point, arrays (S, T)."""
        from ..frames import itrs_to_geodetic

        return itrs_to_geodetic(self.r_itrs)


@dataclass
class Fleet:
    """Satellites to propagate together, from one epoch (UTC)."""

    epoch: object
    members: list[Member]
    rotation: EarthRotation = field(default=None)

    def __post_init__(self):
        from astropy.time import Time

        self.epoch = Time(self.epoch, scale="utc")
        names = [m.name for m in self.members]
        dupes = sorted(n for n, k in Counter(names).items() if k > 1)
        if dupes:
            raise ValueError(f"satellite names must be unique; repeated: {', '.join(dupes)}")
        if self.rotation is None:
            self.rotation = EarthRotation(self.epoch, 0.0, 86400.0)
        kind = np.array([_KIND[m.model] for m in self.members], dtype=int)
        kep, sgp, tab = (np.nonzero(kind == k)[0] for k in (KEPLER, SGP4, TABLE))
        self._kind = kind
        self._kep, self._sgp, self._tab = kep, sgp, tab
        self._elements = Elements.concat([self.members[i].orbit for i in kep]) if len(kep) else None
        if len(kep):
            el = self._elements
            j2 = np.array([self.members[i].model == "j2" for i in kep], dtype=bool)
            with_j2 = secular_rates(el.a, el.ecc, el.inc, True)
            without = secular_rates(el.a, el.ecc, el.inc, False)
            self._rates = [np.where(j2, w, wo) for w, wo in zip(with_j2, without)]
        self._satrecs = [self.members[i].orbit.satrec() for i in sgp]
        self._tables = [self.members[i].orbit for i in tab]
        self._offsets = np.array([(self.epoch - traj.epoch).sec for traj in self._tables])
        self._where = np.full(len(self.members), -1, dtype=int)
        for rows in (kep, sgp, tab):
            self._where[rows] = np.arange(len(rows))
        self._is_kep = kind == KEPLER
        self._one: dict[int, tuple[list, list]] = {}

    def __len__(self) -> int:
        return len(self.members)

    @property
    def names(self) -> list[str]:
        return [m.name for m in self.members]

    def index(self, name: str) -> int:
        for i, m in enumerate(self.members):
            if m.name == name:
                return i
        raise KeyError(name)

    def semi_major_axes(self) -> np.ndarray:
        """Semi-major axis of every satellite, km (from the mean motion for TLEs)."""
        out = np.empty(len(self))
        if len(self._kep):
            out[self._kep] = self._elements.a
        for j, i in enumerate(self._sgp):
            out[i] = self._satrecs[j].a * self._satrecs[j].radiusearthkm
        for j, i in enumerate(self._tab):
            out[i] = self._tables[j].semi_major_axis()
        return out

    def perigee_radii(self) -> np.ndarray:
        """Perigee radius of every satellite, km."""
        out = np.empty(len(self))
        if len(self._kep):
            out[self._kep] = self._elements.a * (1 - self._elements.ecc)
        for j, i in enumerate(self._sgp):
            sat = self._satrecs[j]
            out[i] = max(sat.a * (1 - sat.ecco) * sat.radiusearthkm, R_EARTH + 100.0)
        for j, i in enumerate(self._tab):
            out[i] = self._tables[j].radius_range()[0]
        return out

    def apogee_radii(self) -> np.ndarray:
        """An upper bound of each satellite's distance from the Earth's centre, km: a (1 + e) of the mean elements
        (exact for Kepler and J2), plus 50 km for SGP4's short-period terms; a trajectory's own bound."""
        out = np.empty(len(self))
        if len(self._kep):
            out[self._kep] = self._elements.a * (1 + self._elements.ecc)
        for j, i in enumerate(self._sgp):
            sat = self._satrecs[j]
            out[i] = sat.a * (1 + sat.ecco) * sat.radiusearthkm + 50.0
        for j, i in enumerate(self._tab):
            out[i] = self._tables[j].radius_range()[1]
        return out

    def periods(self) -> np.ndarray:
        """Orbital period of every satellite, s."""
        return 2 * np.pi * np.sqrt(self.semi_major_axes() ** 3 / MU_EARTH)

    def max_speeds(self) -> np.ndarray:
        """Upper bound of each satellite's speed relative to the rotating Earth, km/s (at perigee)."""
        a = self.semi_major_axes()
        rp = self.perigee_radii()
        return np.sqrt(MU_EARTH * (2.0 / rp - 1.0 / a)) + OMEGA_EARTH * a * 2.0

    def _kepler(self, sel: np.ndarray, t: np.ndarray, grid: bool, velocity: bool = True):
        el = self._elements
        j = self._where[sel]
        cols = [el.a[j], el.ecc[j], el.inc[j], el.raan[j], el.argp[j], el.mean_anomaly[j]]
        rates = [x[j] for x in self._rates]
        if grid:
            cols = [c[:, None] for c in cols]
            rates = [x[:, None] for x in rates]
            t = t[None, :]
        return mean_elements_state(*cols, t, rates=rates, velocity=velocity)

    def _sgp4_itrs(self, sel: np.ndarray, t: np.ndarray, grid: bool):
        jd1, jd2 = self.rotation.utc_jd(t)
        if grid:
            r, v = sgp4_teme([self._satrecs[k] for k in self._where[sel]], jd1, jd2)
            return self.rotation.teme_to_itrs(t[None, :], r, v)
        r = np.empty((len(sel), 3))
        v = np.empty((len(sel), 3))
        for i in np.unique(sel):
            rows = np.nonzero(sel == i)[0]
            sat = self._satrecs[self._where[i]]
            err, ri, vi = sat.sgp4_array(np.full(len(rows), jd1), np.ascontiguousarray(jd2[rows]))
            ri[err != 0] = np.nan
            vi[err != 0] = np.nan
            r[rows], v[rows] = ri, vi
        return self.rotation.teme_to_itrs(t, r, v)

    def _table_gcrs(self, sel: np.ndarray, t: np.ndarray, grid: bool):
        shape = (len(sel), len(t), 3) if grid else (len(sel), 3)
        r, v = np.empty(shape), np.empty(shape)
        if grid:
            for row, i in enumerate(sel):
                j = self._where[i]
                r[row], v[row] = self._tables[j].states(t + self._offsets[j])
            return r, v
        for i in np.unique(sel):
            rows = np.nonzero(sel == i)[0]
            j = self._where[i]
            r[rows], v[rows] = self._tables[j].states(t[rows] + self._offsets[j])
        return r, v

    def states(self, t, idx=None, frame: str = "gcrs", velocity: bool = True):
        """Positions (km) and velocities (km/s) in ``frame`` ('gcrs' or 'itrs').

        With ``idx`` None: every satellite at every time, arrays (S, T, 3). With ``idx``: one state per
        (satellite index, time) pair, ``idx`` and ``t`` of the same shape (N,), arrays (N, 3). With
        ``velocity=False`` the velocities come back as None and are not turned into ``frame`` (the positions are the
        same to the last bit).
        """
        if frame not in ("gcrs", "itrs"):
            raise ValueError(f"frame must be 'gcrs' or 'itrs' (got {frame!r})")
        t = np.atleast_1d(np.asarray(t, dtype=float))
        grid = idx is None
        sel_all = np.arange(len(self)) if grid else np.atleast_1d(np.asarray(idx, dtype=int))
        if not grid and sel_all.shape != t.shape:
            raise ValueError("idx and t must have the same shape")
        shape = (len(sel_all), len(t), 3) if grid else (len(sel_all), 3)
        r = np.empty(shape)
        v = np.empty(shape) if velocity else None
        kinds = self._kind[sel_all]
        for kind in (KEPLER, SGP4, TABLE):
            rows = np.nonzero(kinds == kind)[0]
            if len(rows) == 0:
                continue
            sel = sel_all[rows]
            tt = t if grid else t[rows]
            tg = tt[None, :] if grid else tt
            if kind == SGP4:
                rk, vk = self._sgp4_itrs(sel, tt, grid)
                native = "itrs"
            else:
                rk, vk = self._kepler(sel, tt, grid, velocity) if kind == KEPLER else self._table_gcrs(sel, tt, grid)
                native = "gcrs"
            if frame != native:
                turn = self.rotation.gcrs_to_itrs if frame == "itrs" else self.rotation.itrs_to_gcrs
                if velocity:
                    rk, vk = turn(tg, rk, vk)
                else:
                    rk = turn(tg, rk)
            r[rows] = rk
            if velocity:
                v[rows] = vk
        return r, v

    def positions_itrs(self, t, idx=None) -> np.ndarray:
        """ITRS positions only (km): the quantity access and link geometry need."""
        return self.states(t, idx, frame="itrs", velocity=False)[0]

    def position_itrs(self, i: int, t: float) -> np.ndarray:
        """ITRS position (km) of member ``i`` at ``t``: ``positions_itrs([t], [i])[0]`` to the last bit, with less
        overhead for one-at-a-time queries (a hop's range in the mission simulation)."""
        if not self._is_kep[i]:
            return self.positions_itrs(np.array([float(t)]), np.array([i]))[0]
        one = self._one.get(i)
        if one is None:
            el, j = self._elements, self._where[i]
            one = self._one[i] = (
                (float(el.a[j]), float(el.ecc[j]), float(el.inc[j]), float(el.raan[j]), float(el.argp[j]),
                 float(el.mean_anomaly[j])),
                tuple(float(x[j]) for x in self._rates),
            )
        t = float(t)
        r = mean_elements_position_one(*one[0], t, one[1])
        return np.array(self.rotation.gcrs_to_itrs_one(t, *r))

    def ephemeris(self, t) -> Ephemeris:
        """Every satellite at every time in ``t`` (seconds since the epoch), in both frames."""
        from ..frames import rotate_each_time

        t = np.atleast_1d(np.asarray(t, dtype=float))
        r_g, v_g = self.states(t, frame="gcrs")
        m, k = self.rotation.gcrs_to_itrs_matrices(t)
        r_i = rotate_each_time(m, r_g)
        v_i = rotate_each_time(m, v_g)
        v_i += rotate_each_time(k, r_g)
        return Ephemeris(self.names, self.epoch, t, r_g, v_g, r_i, v_i)
