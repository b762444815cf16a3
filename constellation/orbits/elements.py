"""Mean classical element sets and the constellation builders that make them.

Builders take astropy ``Quantity`` values (bare numbers are read in the unit each parameter names) and return an
``Elements`` array set in km and rad. Every builder refuses orbits that cannot fly: ``e >= 1``, a perigee below
``MIN_PERIGEE_KM`` (100 km, the Karman line), or a sun-synchronous request with no solution.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ..constants import GEO_A_KM, J2_EARTH, MU_EARTH, R_EARTH, SSO_RAAN_RATE

TWO_PI = 2.0 * np.pi


def as_value(x, unit: str) -> float | np.ndarray:
    """A number in ``unit`` from a Quantity, or a bare number taken to be in ``unit`` already."""
    if hasattr(x, "unit"):
        import astropy.units as u

        return x.to_value(u.Unit(unit), equivalencies=u.dimensionless_angles()) if unit else x.to_value(u.one)
    return x


@dataclass(frozen=True)
class Elements:
    """Mean classical elements at the scenario epoch: one row per satellite, km and rad.

    ``mean_anomaly`` is the mean anomaly at the epoch; ``raan`` and ``inc`` are referred to the GCRS equator.
    """

    a: np.ndarray
    ecc: np.ndarray
    inc: np.ndarray
    raan: np.ndarray
    argp: np.ndarray
    mean_anomaly: np.ndarray

    def __post_init__(self):
        arrays = [np.atleast_1d(np.asarray(getattr(self, f.name), dtype=float)) for f in fields(self)]
        arrays = np.broadcast_arrays(*arrays)
        for f, arr in zip(fields(self), arrays):
            object.__setattr__(self, f.name, np.array(arr, dtype=float))
        check_feasible(self.a, self.ecc)

    def __len__(self) -> int:
        return self.a.shape[0]

    def __getitem__(self, idx) -> "Elements":
        """A subset: already checked as part of this set, so it is not checked again."""
        part = object.__new__(Elements)
        for f in fields(self):
            object.__setattr__(part, f.name, np.atleast_1d(getattr(self, f.name)[idx]).astype(float, copy=True))
        return part

    @staticmethod
    def concat(parts: list["Elements"]) -> "Elements":
        return Elements(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Elements)))

    @property
    def period(self) -> np.ndarray:
        """Keplerian period, s."""
        return TWO_PI * np.sqrt(self.a**3 / MU_EARTH)

    @property
    def perigee_altitude(self) -> np.ndarray:
        """Perigee altitude above the equatorial radius, km."""
        return self.a * (1.0 - self.ecc) - R_EARTH


MIN_PERIGEE_KM = 100.0
"""Lowest perigee altitude accepted, km: the Karman line."""


def check_feasible(a, ecc) -> None:
    """Raise ValueError for an orbit that is not a closed ellipse clear of the Earth."""
    a = np.asarray(a, dtype=float)
    ecc = np.asarray(ecc, dtype=float)
    if np.any(~np.isfinite(a)) or np.any(~np.isfinite(ecc)):
        raise ValueError("orbital elements must be finite numbers")
    if np.any(ecc < 0):
        raise ValueError(f"eccentricity must be >= 0 (got {ecc.min():g})")
    if np.any(ecc >= 1):
        raise ValueError(f"eccentricity must be < 1 for a closed orbit (got {ecc.max():g})")
    perigee = a * (1.0 - ecc) - R_EARTH
    if np.any(perigee <= 0):
        raise ValueError(
            f"perigee is {perigee.min():.1f} km above the surface: the orbit would hit the Earth "
            f"(semi-major axis {a[np.argmin(perigee)]:.1f} km, Earth radius {R_EARTH} km)"
        )
    if np.any(perigee < MIN_PERIGEE_KM):
        raise ValueError(
            f"perigee is {perigee.min():.1f} km above the surface, below the {MIN_PERIGEE_KM:g} km floor (the Karman "
            f"line: below it the air brings a satellite down within hours and no orbit model here applies)"
        )


def classical(a, ecc, inc, raan=0.0, argp=0.0, mean_anomaly=0.0) -> Elements:
    """One satellite from classical elements: a in km, angles in deg."""
    return Elements(
        as_value(a, "km"),
        as_value(ecc, ""),
        np.radians(as_value(inc, "deg")),
        np.radians(as_value(raan, "deg")),
        np.radians(as_value(argp, "deg")),
        np.radians(as_value(mean_anomaly, "deg")),
    )


def circular(altitude, inc, raan=0.0, arg_latitude=0.0) -> Elements:
    """A circular orbit at ``altitude`` km above the equatorial radius; ``arg_latitude`` places the satellite."""
    alt = as_value(altitude, "km")
    _check_altitude(alt)
    return Elements(
        R_EARTH + alt, 0.0, np.radians(as_value(inc, "deg")), np.radians(as_value(raan, "deg")), 0.0,
        np.radians(as_value(arg_latitude, "deg")),
    )


def _check_altitude(alt) -> None:
    alt = np.asarray(alt, dtype=float)
    if np.any(~np.isfinite(alt)) or np.any(alt <= 0):
        raise ValueError(f"altitude must be above the surface (got {np.min(alt):g} km)")


def sso_inclination(a, ecc=0.0) -> np.ndarray:
    """Inclination (rad) whose J2 nodal precession follows the mean Sun.

    cos i = -2 a^(7/2) (1 - e^2)^2 dOmega/dt / (3 R^2 J2 sqrt(mu)), with dOmega/dt one turn per tropical year.
    """
    a = np.asarray(a, dtype=float)
    ecc = np.asarray(ecc, dtype=float)
    cos_i = -2.0 * a**3.5 * (1.0 - ecc**2) ** 2 * SSO_RAAN_RATE / (3.0 * R_EARTH**2 * J2_EARTH * np.sqrt(MU_EARTH))
    if np.any(cos_i < -1.0):
        worst = a[np.argmin(cos_i)] if a.ndim else a
        raise ValueError(
            f"no sun-synchronous orbit exists at semi-major axis {float(worst):.0f} km: J2 cannot precess the node "
            f"fast enough above about {_max_sso_altitude(ecc):.0f} km altitude"
        )
    return np.arccos(cos_i)


def _max_sso_altitude(ecc) -> float:
    a = (3.0 * R_EARTH**2 * J2_EARTH * np.sqrt(MU_EARTH) / (2.0 * SSO_RAAN_RATE * (1 - np.max(ecc) ** 2) ** 2)) ** (
        2.0 / 7.0
    )
    return a - R_EARTH


def raan_from_ltan(epoch, ltan_hours) -> np.ndarray:
    """GCRS right ascension of the ascending node (rad) for a local time of the ascending node.

    The mean Sun sits on the equator of date at right ascension equal to the Sun's mean longitude
    L0 = 280.46646 + 36000.76983 T + 0.0003032 T^2 deg (Meeus, Astronomical Algorithms, 25.2, T in Julian
    centuries of TT since J2000); the node lies (LTAN - 12 h) * 15 deg/h east of it. The direction is carried from
    the mean equator of date to the GCRS with the IAU 2006 precession matrix.
    """
    import erfa
    from astropy.time import Time

    epoch = Time(epoch)
    tt = epoch.tt
    T = ((tt.jd1 - 2451545.0) + tt.jd2) / 36525.0
    l0 = np.radians((280.46646 + 36000.76983 * T + 0.0003032 * T**2) % 360.0)
    node_of_date = l0 + np.radians((np.asarray(ltan_hours, dtype=float) - 12.0) * 15.0)
    p = erfa.pmat06(tt.jd1, tt.jd2)
    d = np.stack([np.cos(node_of_date), np.sin(node_of_date), np.zeros_like(node_of_date)], axis=-1)
    g = d @ p
    return np.mod(np.arctan2(g[..., 1], g[..., 0]), TWO_PI)


def parse_ltan(value) -> float:
    """Local time of the ascending node in hours, from hours (10.5), a Quantity, or a 'HH:MM' string."""
    if isinstance(value, str):
        text = value.strip()
        try:
            if ":" in text:
                hh, mm = text.split(":", 1)
                if not (hh.strip().isdigit() and mm.strip().isdigit()) or int(mm) >= 60:
                    raise ValueError(f"local time of the ascending node 'HH:MM' needs whole hours and minutes below "
                                     f"60 (got {value!r})")
                hours = int(hh) + int(mm) / 60.0
            else:
                hours = float(text)
        except ValueError as exc:
            if "HH:MM" in str(exc) and "below 60" in str(exc):
                raise
            raise ValueError(f"local time of the ascending node must be hours or 'HH:MM' (got {value!r})") from None
    else:
        try:
            hours = float(as_value(value, "hourangle"))
        except (TypeError, ValueError):
            raise ValueError(f"local time of the ascending node must be hours or 'HH:MM' (got {value!r})") from None
    if not 0.0 <= hours < 24.0:
        raise ValueError(f"local time of the ascending node must be in [0, 24) hours (got {hours:g})")
    return hours


def sun_synchronous(altitude, ltan, epoch, ecc=0.0, argp=0.0, mean_anomaly=0.0) -> Elements:
    """A sun-synchronous orbit from altitude (km) and local time of the ascending node (hours or 'HH:MM')."""
    alt = as_value(altitude, "km")
    _check_altitude(alt)
    ecc = float(as_value(ecc, ""))
    a = R_EARTH + alt
    inc = sso_inclination(a, ecc)
    raan = raan_from_ltan(epoch, parse_ltan(ltan))
    return Elements(a, ecc, inc, raan, np.radians(as_value(argp, "deg")), np.radians(as_value(mean_anomaly, "deg")))


def walker(total: int, planes: int, phasing: int, altitude, inc, pattern: str = "delta", raan0=0.0) -> Elements:
    """A Walker constellation i: T/P/F, circular at ``altitude`` km.

    Delta spreads the planes over 360 deg of RAAN, star over 180 deg. Satellite k of plane p sits at argument of
    latitude 360 k / S + 360 F p / T deg, with S = T / P satellites per plane.
    """
    total, planes, phasing = int(total), int(planes), int(phasing)
    if total < 1 or planes < 1:
        raise ValueError(f"a Walker pattern needs at least one satellite and one plane (got {total}/{planes})")
    if total % planes:
        raise ValueError(f"total satellites ({total}) must be a multiple of the number of planes ({planes})")
    if not 0 <= phasing < planes:
        raise ValueError(f"phasing F must be in [0, planes - 1] = [0, {planes - 1}] (got {phasing})")
    if pattern not in ("delta", "star"):
        raise ValueError(f"Walker pattern must be 'delta' or 'star' (got {pattern!r})")
    per_plane = total // planes
    spread = 360.0 if pattern == "delta" else 180.0
    p = np.repeat(np.arange(planes), per_plane)
    k = np.tile(np.arange(per_plane), planes)
    raan = as_value(raan0, "deg") + spread * p / planes
    u = 360.0 * k / per_plane + 360.0 * phasing * p / total
    return circular(altitude, inc, raan=raan, arg_latitude=np.mod(u, 360.0))


def swarm(
    count: int,
    planes: int,
    altitude,
    inc=None,
    *,
    ltan=None,
    epoch=None,
    raan_spacing=None,
    in_plane_spacing=None,
    phase_offset=0.0,
    raan0=0.0,
) -> Elements:
    """``count`` small satellites over ``planes`` circular planes.

    Give either an inclination or, for sun-synchronous planes, ``ltan`` (hours of the first plane) and ``epoch``.
    Planes are ``raan_spacing`` deg apart (default: spread over 360 deg, or over 180 deg for sun-synchronous
    planes, where 15 deg is one hour of local time). Within a plane the satellites are ``in_plane_spacing`` deg
    apart (default: evenly over 360 deg); plane p is shifted along-track by ``p * phase_offset`` deg.
    Satellites go to planes in turn as evenly as possible (10 over 3 planes: 4, 3, 3).
    """
    count, planes = int(count), int(planes)
    if count < 1:
        raise ValueError(f"a swarm needs at least one satellite (got {count})")
    if not 1 <= planes <= count:
        raise ValueError(f"planes must be between 1 and the number of satellites {count} (got {planes})")
    alt = as_value(altitude, "km")
    _check_altitude(alt)
    a = R_EARTH + alt
    if (inc is None) == (ltan is None):
        raise ValueError("give exactly one of inclination or ltan (for sun-synchronous planes)")
    if ltan is not None:
        if epoch is None:
            raise ValueError("sun-synchronous planes need the epoch")
        inclination = float(sso_inclination(a))
        base_raan = float(raan_from_ltan(epoch, parse_ltan(ltan)))
        default_spread = 180.0
    else:
        inclination = np.radians(as_value(inc, "deg"))
        base_raan = 0.0
        default_spread = 360.0
    spacing = default_spread / planes if raan_spacing is None else as_value(raan_spacing, "deg")
    sizes = [count // planes + (1 if p < count % planes else 0) for p in range(planes)]
    raan, u = [], []
    for p, n in enumerate(sizes):
        step = 360.0 / n if in_plane_spacing is None else as_value(in_plane_spacing, "deg")
        if n * step > 360.0 + 1e-9:
            raise ValueError(f"{n} satellites {step:g} deg apart do not fit in one plane (360 deg)")
        raan += [as_value(raan0, "deg") + p * spacing] * n
        u += [p * as_value(phase_offset, "deg") + k * step for k in range(n)]
    return Elements(
        a, 0.0, inclination, np.mod(base_raan + np.radians(raan), TWO_PI), 0.0, np.mod(np.radians(u), TWO_PI)
    )


def geostationary_radius() -> float:
    """Radius (km) at which the J2 secular rate of the argument of latitude, n (1 + 3 J2 (R/a)^2) for an equatorial
    circular orbit, equals the Earth's rotation rate."""
    from ..constants import OMEGA_EARTH

    a = GEO_A_KM
    for _ in range(20):
        a = (MU_EARTH / (OMEGA_EARTH / (1.0 + 3.0 * J2_EARTH * (R_EARTH / a) ** 2)) ** 2) ** (1.0 / 3.0)
    return a


def geostationary(longitude, epoch) -> Elements:
    """A geostationary satellite over ``longitude`` deg east at the epoch.

    The orbit lies in the true equator of the epoch (normal to the celestial intermediate pole), so in the GCRS it
    has the small inclination that precession gives the equator; its radius makes the J2 secular motion keep pace
    with the Earth (see ``geostationary_radius``).
    """
    from ..frames import EarthRotation, geodetic_up

    lon = as_value(longitude, "deg")
    if not -180.0 <= lon <= 360.0:
        raise ValueError(f"longitude must be in [-180, 360] deg (got {lon:g})")
    rot = EarthRotation(epoch, 0.0, 0.0)
    k = rot.cip_in_gcrs(0.0)
    k = k / np.linalg.norm(k)
    p = rot.itrs_to_gcrs(0.0, geodetic_up(0.0, lon))
    inc = np.arccos(np.clip(k[2], -1.0, 1.0))
    raan = np.arctan2(k[0], -k[1])
    node = np.array([np.cos(raan), np.sin(raan), 0.0])
    u = np.arctan2(np.dot(np.cross(node, p), k), np.dot(node, p))
    return Elements(geostationary_radius(), 0.0, inc, np.mod(raan, TWO_PI), 0.0, np.mod(u, TWO_PI))
