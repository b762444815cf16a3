"""The one module that imports boinor: our element sets as boinor orbits, and boinor's propagators as references.

boinor (the maintained continuation of poliastro, same API) is the independent reference the tests and
``constellation validate --deep`` check the orbit code against. Nothing on the main run path imports this module:
boinor's numba kernels compile for several seconds in a fresh process.

Conventions at the boundary: our ``Elements`` are km and rad with the MEAN anomaly at the epoch; boinor's
``Orbit.from_classical`` takes Quantities and the TRUE anomaly, in the GCRS (``Planes.EARTH_EQUATOR``, Earth's
mean equator and equinox of J2000, which boinor realises as astropy's GCRS frame).
"""

from __future__ import annotations

import numpy as np

from ..constants import J2_EARTH, MU_EARTH, R_EARTH
from .elements import Elements, parse_ltan

METHODS = ("farnocchia", "cowell_j2")


def _utc(epoch):
    from astropy.time import Time

    return Time(epoch, scale="utc")


def mean_to_true_anomaly(mean_anomaly: float, ecc: float) -> float:
    """True anomaly (rad, in [-pi, pi)) from mean anomaly through boinor's Kepler solver (``M_to_E``, ``E_to_nu``)."""
    from boinor.core.angles import E_to_nu, M_to_E

    m = (float(mean_anomaly) + np.pi) % (2.0 * np.pi) - np.pi
    nu = float(E_to_nu(M_to_E(m, float(ecc)), float(ecc)))
    return (nu + np.pi) % (2.0 * np.pi) - np.pi


def to_boinor(elements: Elements, epoch, i: int = 0):
    """Satellite ``i`` of ``elements`` as a boinor ``Orbit`` about the Earth at ``epoch`` (UTC), GCRS plane."""
    import astropy.units as u
    from boinor.bodies import Earth
    from boinor.frames import Planes
    from boinor.twobody import Orbit

    ecc = float(elements.ecc[i])
    nu = mean_to_true_anomaly(elements.mean_anomaly[i], ecc)
    return Orbit.from_classical(
        attractor=Earth,
        a=float(elements.a[i]) * u.km,
        ecc=ecc * u.one,
        inc=float(elements.inc[i]) * u.rad,
        raan=float(elements.raan[i]) * u.rad,
        argp=float(elements.argp[i]) * u.rad,
        nu=nu * u.rad,
        epoch=_utc(epoch),
        plane=Planes.EARTH_EQUATOR,
    )


def boinor_earth_constants() -> dict[str, float]:
    """boinor's Earth: k (km^3/s^2), equatorial radius R (km), J2, and the node rate (rad/s) its
    ``Orbit.heliosynchronous`` makes sun-synchronous orbits follow (the Earth's mean motion about the Sun)."""
    import astropy.units as u
    from boinor.bodies import Earth
    from boinor.twobody.mean_elements import get_mean_elements

    sun_k = Earth.parent.k.to_value(u.km**3 / u.s**2)
    a_earth = get_mean_elements(Earth).a.to_value(u.km)
    return {
        "k": float(Earth.k.to_value(u.km**3 / u.s**2)),
        "R": float(Earth.R.to_value(u.km)),
        "J2": float(Earth.J2.value),
        "sso_node_rate": float(np.sqrt(sun_k / a_earth**3)),
    }


def boinor_sso_inclination(a_km: float, ecc: float = 0.0, *, k: float | None = None, r_eq: float | None = None,
                           j2: float | None = None, node_rate: float | None = None) -> float:
    """Sun-synchronous inclination (rad) from boinor's formula (``boinor.twobody.elements.heliosynchronous``).

    Constants default to boinor's own (``boinor_earth_constants``); pass ours to compare formulas alone. Raises
    ValueError where boinor finds no solution.
    """
    import astropy.units as u
    from boinor.twobody.elements import heliosynchronous

    ref = boinor_earth_constants()
    k = ref["k"] if k is None else k
    r_eq = ref["R"] if r_eq is None else r_eq
    j2 = ref["J2"] if j2 is None else j2
    node_rate = ref["sso_node_rate"] if node_rate is None else node_rate
    try:
        _, _, inc = heliosynchronous(
            k * u.km**3 / u.s**2, r_eq * u.km, j2 * u.one, node_rate / u.s, a=a_km * u.km, ecc=ecc * u.one
        )
    except FloatingPointError as exc:
        raise ValueError(f"boinor finds no sun-synchronous orbit at a = {a_km:.1f} km") from exc
    return float(inc.to_value(u.rad))


def boinor_raan_from_ltan(epoch, ltan) -> float:
    """boinor's RAAN (rad, wrapped to [0, 2 pi)) for a local time of the ascending node (hours or 'HH:MM')."""
    import astropy.units as u
    from boinor.earth.util import raan_from_ltan

    raan = raan_from_ltan(_utc(epoch), parse_ltan(ltan) * u.hourangle)
    # boinor returns the sum of several angles without wrapping it.
    return float(np.mod(raan.to_value(u.rad), 2.0 * np.pi))


def boinor_sun_synchronous(altitude, ltan, epoch):
    """A circular sun-synchronous orbit built entirely by boinor: ``Orbit.heliosynchronous`` + ``raan_from_ltan``.

    ``altitude`` is km above our equatorial radius ``R_EARTH`` (the meaning our builders give it); the
    inclination comes from boinor's own constants (its Earth's J2 and radius, and the Earth's orbital mean motion
    as the node rate).
    """
    import astropy.units as u
    from boinor.bodies import Earth
    from boinor.frames import Planes
    from boinor.twobody import Orbit

    alt = float(altitude.to_value(u.km)) if hasattr(altitude, "unit") else float(altitude)
    return Orbit.heliosynchronous(
        Earth,
        a=(R_EARTH + alt) * u.km,
        ecc=0.0 * u.one,
        raan=boinor_raan_from_ltan(epoch, ltan) * u.rad,
        epoch=_utc(epoch),
        plane=Planes.EARTH_EQUATOR,
    )


def _j2_dynamics(j2: float, r_eq: float):
    """Right-hand side of the two-body + J2 equations for boinor's Cowell propagator."""
    from boinor.core.perturbations import J2_perturbation
    from boinor.core.propagation import func_twobody

    def f(t0, state, k):
        du = func_twobody(t0, state, k)
        du[3:] += J2_perturbation(t0, state, k, J2=j2, R=r_eq)
        return du

    return f


def reference_ephemeris(elements: Elements, epoch, t_s, method: str = "farnocchia", *, rtol: float = 1e-11,
                        j2: float = J2_EARTH, r_eq: float = R_EARTH):
    """GCRS positions (km) and velocities (km/s), arrays (S, T, 3), from boinor's propagators.

    ``method`` is 'farnocchia' (exact two-body) or 'cowell_j2' (numerical integration, DOP853, of two-body plus the
    J2 acceleration; ``j2`` and ``r_eq`` default to our constants so that a comparison measures the model, not a
    difference of constants). The elements are taken as OSCULATING at the epoch. ``t_s`` are seconds after the
    epoch (SI seconds, ``epoch + t_s * u.s``); Cowell needs them >= 0.
    """
    import astropy.units as u
    from boinor.twobody.propagation import CowellPropagator, FarnocchiaPropagator
    from boinor.twobody.sampling import EpochsArray

    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)} (got {method!r})")
    t = np.atleast_1d(np.asarray(t_s, dtype=float))
    if method == "farnocchia":
        prop = FarnocchiaPropagator()
    else:
        if np.any(t < 0):
            raise ValueError("the Cowell reference propagates forward only: times must be >= 0")
        prop = CowellPropagator(rtol=rtol, f=_j2_dynamics(j2, r_eq))
    epoch = _utc(epoch)
    epochs = epoch + t * u.s
    r = np.empty((len(elements), len(t), 3))
    v = np.empty((len(elements), len(t), 3))
    for i in range(len(elements)):
        if method == "cowell_j2" and np.max(t) == 0.0:
            orbit = to_boinor(elements, epoch, i)
            r[i] = orbit.r.to_value(u.km)
            v[i] = orbit.v.to_value(u.km / u.s)
            continue
        ephem = to_boinor(elements, epoch, i).to_ephem(EpochsArray(epochs, method=prop))
        ri, vi = ephem.rv()
        r[i] = ri.to_value(u.km)
        v[i] = vi.to_value(u.km / u.s)
    return r, v


def check_elements(elements: Elements, epoch, names: list[str] | None = None,
                   worst: dict | None = None) -> list[str]:
    """Build every satellite in boinor and list what looks wrong (an empty list when all is well).

    Checks: boinor accepts the orbit; its perigee clears boinor's Earth radius; boinor's a, e, i, RAAN and period
    read back what we gave; and its GCRS state at the epoch matches our Kepler state from the same elements (to
    1 m and 1 mm/s; the two conversions are independent codes for the same formula). A ``worst`` dict given is
    filled with the largest deviation of each check: name -> (deviation, unit, tolerance, satellite).
    """
    import astropy.units as u
    from boinor.bodies import Earth

    from .propagation import mean_elements_state

    problems: list[str] = []
    worst = {} if worst is None else worst
    names = names or [f"satellite {i}" for i in range(len(elements))]
    r_ours, v_ours = mean_elements_state(
        elements.a, elements.ecc, elements.inc, elements.raan, elements.argp, elements.mean_anomaly, 0.0, j2=False
    )
    r_earth = Earth.R.to_value(u.km)

    def note(check: str, value: float, unit: str, tolerance: float, who: str) -> bool:
        if check not in worst or value > worst[check][0]:
            worst[check] = (value, unit, tolerance, who)
        return value > tolerance

    for i in range(len(elements)):
        who = names[i]
        try:
            orbit = to_boinor(elements, epoch, i)
        except Exception as exc:  # boinor raises ValueError and friends on impossible orbits
            problems.append(f"{who}: boinor refuses the orbit: {exc}")
            continue
        r = orbit.r.to_value(u.km)
        v = orbit.v.to_value(u.km / u.s)
        if not (np.all(np.isfinite(r)) and np.all(np.isfinite(v))):
            problems.append(f"{who}: boinor gives a non-finite state at the epoch")
            continue
        ecc = float(orbit.ecc.value)
        if ecc >= 1.0:
            problems.append(f"{who}: not a closed orbit in boinor (e = {ecc:.6f})")
            continue
        perigee = float(orbit.r_p.to_value(u.km)) - r_earth
        if perigee <= 0.0:
            problems.append(f"{who}: perigee {perigee:.1f} km is below boinor's Earth radius {r_earth:.3f} km")
        a = float(orbit.a.to_value(u.km))
        if note("semi-major axis", abs(a - elements.a[i]), "km", 1e-6 * elements.a[i], who):
            problems.append(f"{who}: boinor reads a = {a:.6f} km, we gave {elements.a[i]:.6f} km")
        if note("eccentricity", abs(ecc - elements.ecc[i]), "", 1e-9, who):
            problems.append(f"{who}: boinor reads e = {ecc:.9f}, we gave {elements.ecc[i]:.9f}")
        inc = float(orbit.inc.to_value(u.rad))
        if note("inclination", np.degrees(abs(inc - elements.inc[i])), "deg", np.degrees(1e-9), who):
            problems.append(f"{who}: boinor reads i = {np.degrees(inc):.6f} deg, "
                            f"we gave {np.degrees(elements.inc[i]):.6f}")
        if elements.inc[i] > 1e-6 and np.pi - elements.inc[i] > 1e-6:
            d_raan = abs(np.angle(np.exp(1j * (float(orbit.raan.to_value(u.rad)) - elements.raan[i]))))
            if note("RAAN", np.degrees(d_raan), "deg", np.degrees(1e-9), who):
                problems.append(f"{who}: boinor reads RAAN {orbit.raan.to_value(u.deg):.6f} deg, "
                                f"we gave {np.degrees(elements.raan[i]):.6f}")
        period = float(orbit.period.to_value(u.s))
        if note("period", abs(period - elements.period[i]), "s", 1e-6 * period, who):
            problems.append(f"{who}: boinor's period {period:.3f} s differs from ours {elements.period[i]:.3f} s")
        dr = float(np.linalg.norm(r - r_ours[i]))
        dv = float(np.linalg.norm(v - v_ours[i]))
        bad_r = note("position at the epoch", dr * 1e3, "m", 1.0, who)
        bad_v = note("velocity at the epoch", dv * 1e6, "mm/s", 1.0, who)
        if bad_r or bad_v:
            problems.append(f"{who}: GCRS state at the epoch differs from boinor's by {dr * 1e3:.3f} m, "
                            f"{dv * 1e6:.3f} mm/s")
    return problems


def osculating_elements(r_km, v_km_s, epoch) -> tuple[float, float, float, float, float, float]:
    """Osculating a (km), e, i, RAAN, argument of perigee and mean anomaly (rad) of a GCRS state, through boinor's
    ``Orbit.from_vectors``; ValueError for a state that is not a closed orbit about the Earth.

    Nothing else is checked: ``Elements(*osculating_elements(...))`` refuses an orbit that would hit the Earth.
    """
    import astropy.units as u
    from boinor.bodies import Earth
    from boinor.core.angles import E_to_M, nu_to_E
    from boinor.frames import Planes
    from boinor.twobody import Orbit

    r = np.asarray(r_km, dtype=float).reshape(3)
    v = np.asarray(v_km_s, dtype=float).reshape(3)
    if not (np.all(np.isfinite(r)) and np.all(np.isfinite(v))):
        raise ValueError("position and velocity must be finite numbers")
    if np.linalg.norm(r) == 0.0:
        raise ValueError("the position is the Earth's centre")
    orbit = Orbit.from_vectors(Earth, r * u.km, v * u.km / u.s, epoch=_utc(epoch), plane=Planes.EARTH_EQUATOR)
    ecc = float(orbit.ecc.to_value(u.one))
    if not ecc < 1.0:
        energy = float(np.dot(v, v)) / 2.0 - float(Earth.k.to_value(u.km**3 / u.s**2)) / float(np.linalg.norm(r))
        raise ValueError(f"the state is not a closed orbit: eccentricity {ecc:.6f}, specific energy "
                         f"{energy:.3f} km^2/s^2 (escape)")
    nu = float(orbit.nu.to_value(u.rad))
    mean = float(E_to_M(nu_to_E(nu, ecc), ecc))
    return (float(orbit.a.to_value(u.km)), ecc, float(orbit.inc.to_value(u.rad)),
            float(orbit.raan.to_value(u.rad)) % (2 * np.pi), float(orbit.argp.to_value(u.rad)) % (2 * np.pi),
            mean % (2 * np.pi))


# Numerical propagation (``constellation.orbits.numerical``): boinor's perturbation kernels, atmospheres and Cowell.

_FIRST_CALLS: dict[str, float] = {}
"""Seconds the first call of each boinor kernel took in this process (numba compiles a kernel on its first call)."""

_AVOGADRO_PER_KMOL = 8314.32 / 1.380622e-23
"""boinor's Jacchia 1977 Avogadro number, R / k per kmol (``boinor.earth.atmosphere.jacchia``)."""


def _first_call(name: str, call) -> None:
    import time

    if name in _FIRST_CALLS:
        return
    start = time.perf_counter()
    call()
    _FIRST_CALLS[name] = time.perf_counter() - start


def compile_cost() -> float:
    """Seconds this process has spent importing boinor's propagation modules and compiling the kernels that
    ``prepare`` warmed up (0 before any)."""
    return float(sum(_FIRST_CALLS.values()))


def prepare(forces) -> None:
    """Import and compile, once per process, every boinor kernel a ``ForceModel`` uses, timing each first call."""
    _first_call("import", lambda: __import__("boinor.core.propagation", fromlist=["cowell"]))
    from boinor.core import perturbations as p
    from boinor.core.propagation import func_twobody

    state = np.array([R_EARTH + 500.0, 10.0, 20.0, 0.01, 7.5, 1.0])
    k = 398600.4418
    _first_call("two-body", lambda: func_twobody(0.0, state, k))
    if forces.j2:
        _first_call("J2", lambda: p.J2_perturbation(0.0, state, k, J2_EARTH, R_EARTH))
    if forces.j3:
        _first_call("J3", lambda: p.J3_perturbation(0.0, state, k, -2.5e-6, R_EARTH))
    if forces.drag == "exponential":
        _first_call("drag (exponential)",
                    lambda: p.atmospheric_drag_exponential(0.0, state, k, R_EARTH, 1.0, 1e-8, 8.5, 1e9))
    elif forces.drag:
        _first_call("drag", lambda: p.atmospheric_drag(0.0, state, k, 1.0, 1e-8, 1e-3))
        _first_call(f"{forces.drag} at {forces.exospheric_temperature:g} K",
                    lambda: density_table(forces.drag, forces.exospheric_temperature))
    if forces.srp:
        _first_call("radiation pressure", lambda: p.radiation_pressure(
            0.0, state, k, R_EARTH, 1.0, 1e-8, 1e14, lambda t: np.array([1.5e8, 0.0, 0.0])))
    _first_call("events", lambda: __import__("boinor.twobody.events", fromlist=["AltitudeCrossEvent"]))


def j3_earth() -> float:
    """boinor's J3 of the Earth (``boinor.constants.J3_earth``)."""
    from boinor.constants import J3_earth

    return float(J3_earth.value)


def exponential_atmosphere() -> tuple[float, float]:
    """boinor's exponential atmosphere: sea-level density rho0 (kg/km^3) and scale height H0 (km)
    (``boinor.constants.rho0_earth``, ``H0_earth``: rho = rho0 exp(-h / H0))."""
    import astropy.units as u
    from boinor.constants import H0_earth, rho0_earth

    return float(rho0_earth.to_value(u.kg / u.km**3)), float(H0_earth.to_value(u.km))


_DENSITY_TABLES: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}


def density_table(model: str, exospheric_temperature: float = 1000.0) -> tuple[np.ndarray, np.ndarray]:
    """Geometric altitudes (km, every whole km) and the natural log of the density (kg/km^3) of a boinor atmosphere.

    'coesa76': the U.S. Standard Atmosphere 1976 of ``boinor.earth.atmosphere.COESA76`` from 86 to 1000 km (its
    fourth-degree fits of ln rho above 86 km, evaluated for every km at once; its layer model at 86 km). 'jacchia77': the Jacchia 1977 profile
    of ``boinor.earth.atmosphere.jacchia.Jacchia77`` at ``exospheric_temperature`` K, 90 to 2500 km (boinor's model
    is defined at whole km; one profile holds them all).
    """
    key = (model, round(float(exospheric_temperature), 6) if model == "jacchia77" else None)
    if key in _DENSITY_TABLES:
        return _DENSITY_TABLES[key]
    import astropy.units as u

    if model == "coesa76":
        from boinor.earth.atmosphere import coesa76

        z = np.arange(86.0, 1001.0)
        levels = coesa76.z_coeff.to_value(u.km)
        i = np.searchsorted(levels, z, side="right") - 1
        a, b, c, d, e = (np.asarray(x)[i] for x in coesa76.rho_coeff)
        log_rho = a * z**4 + b * z**3 + c * z**2 + d * z + e + np.log(1e9)
        log_rho[0] = np.log(coesa76.COESA76().density(86.0 * u.km).to_value(u.kg / u.km**3))
    elif model == "jacchia77":
        from boinor.earth.atmosphere.jacchia import Jacchia77

        atmosphere = Jacchia77(float(exospheric_temperature) * u.K)
        _, _, n2, o2, o, ar, he, h, _, _ = atmosphere._altitude_profile(2500.0)
        z = np.arange(90.0, 2501.0)
        molar = np.array([28.0134, 31.9988, 15.9994, 39.948, 4.0026, 1.0079])  # kg/kmol, boinor's wmN2 ... wmH
        counts = np.stack([np.asarray(x.to_value(u.km**-3))[90:] for x in (n2, o2, o, ar, he, h)], axis=-1)
        log_rho = np.log(counts @ molar / _AVOGADRO_PER_KMOL)
    else:
        raise ValueError(f"no density table for the atmosphere model {model!r}")
    _DENSITY_TABLES[key] = (z, log_rho)
    return z, log_rho


def body_interpolant(body: str, epoch, start_s: float, end_s: float, step_s: float = 3600.0):
    """The GCRS position (km) of the Sun or the Moon as a function of seconds after ``epoch``, over
    [start_s, end_s]: boinor's ``build_ephem_interpolant`` (linear between positions every ``step_s`` from
    astropy's built-in ephemeris)."""
    import astropy.units as u
    from boinor.bodies import Moon, Sun
    from boinor.ephem import build_ephem_interpolant

    first = float(start_s) - step_s
    n = int(np.ceil((float(end_s) + step_s - first) / step_s)) + 1
    epochs = (_utc(epoch) + (first + step_s * np.arange(n)) * u.s).tdb
    table = build_ephem_interpolant({"sun": Sun, "moon": Moon}[body], epochs)
    return lambda t: table(t - first)


def dynamics(forces, density, epoch, t0: float, t1: float, direction: int = 1):
    """Right-hand side ``f(s, y, k)`` for boinor's Cowell propagator: two-body plus the accelerations of a
    ``ForceModel``, ``s`` seconds from ``t0`` (s after ``epoch``) towards ``t1``; ``direction`` -1 integrates back
    in time (the derivative of y(t0 - s)).

    Gravity: our mu, equatorial radius and J2 (``constellation.constants``), boinor's J3. Drag: boinor's
    ``atmospheric_drag_exponential`` for 'exponential', else ``atmospheric_drag`` with ``density(h)`` (kg/km^3) at
    the height above the equatorial radius; the velocity is the inertial one, as in boinor. Radiation pressure:
    boinor's ``radiation_pressure`` (cannonball, cylindrical shadow). Sun and Moon: boinor's ``third_body``.
    """
    import astropy.units as u
    from boinor.constants import GM_moon, GM_sun, Wdivc_sun
    from boinor.core import perturbations as p
    from boinor.core.propagation import func_twobody

    lo, hi = min(t0, t1), max(t0, t1)
    bodies = {name: body_interpolant(name, epoch, lo, hi)
              for name in set(forces.third_body) | ({"sun"} if forces.srp else set())}
    km3s2 = u.km**3 / u.s**2
    gm = {"sun": float(GM_sun.to_value(km3s2)), "moon": float(GM_moon.to_value(km3s2))}
    sign = 1.0 if direction >= 0 else -1.0
    j2, j3, b, srp = forces.j2, forces.j3, forces.ballistic, forces.srp
    j3_value = j3_earth() if j3 else 0.0
    wdivc = float(Wdivc_sun.to_value(u.kg * u.km / u.s**2))
    exponential = forces.drag == "exponential"
    if exponential:
        rho0, h0 = exponential_atmosphere()
    drag = bool(forces.drag)
    third = [(gm[name], bodies[name]) for name in forces.third_body]
    sun = bodies.get("sun")

    def f(s, y, k):
        t = t0 + sign * s
        du = func_twobody(t, y, k)
        acc = du[3:]
        if j2:
            acc += p.J2_perturbation(t, y, k, J2_EARTH, R_EARTH)
        if j3:
            acc += p.J3_perturbation(t, y, k, j3_value, R_EARTH)
        if drag:
            if exponential:
                acc += p.atmospheric_drag_exponential(t, y, k, R_EARTH, 1.0, b, h0, rho0)
            else:
                h = np.sqrt(y[0] * y[0] + y[1] * y[1] + y[2] * y[2]) - R_EARTH
                acc += p.atmospheric_drag(t, y, k, 1.0, b, density(h))
        if srp:
            acc += p.radiation_pressure(t, y, k, R_EARTH, 1.0, srp, wdivc, sun)
        for k_third, body in third:
            acc += p.third_body(t, y, k, k_third, body)
        return du if sign > 0 else -du

    return f


def cowell_states(r0, v0, tofs, f, *, rtol: float, stop_altitude: float | None = None):
    """States (km, km/s) at ``tofs`` (s after the start, increasing, > 0) from boinor's Cowell propagator (DOP853)
    with the right-hand side ``f``, arrays (N, 3).

    With ``stop_altitude`` (km above our equatorial radius) the integration ends where the orbit first descends
    through it (boinor's ``AltitudeCrossEvent``): the times reached are returned, ending with that one. Returns
    (times, r, v, stopped).
    """
    from boinor.core.propagation import cowell

    tofs = [float(x) for x in tofs]
    events = None
    if stop_altitude is not None:
        from boinor.twobody.events import AltitudeCrossEvent

        events = [AltitudeCrossEvent(float(stop_altitude), R_EARTH)]
    rr, vv = cowell(MU_EARTH, np.asarray(r0, dtype=float), np.asarray(v0, dtype=float), tofs, rtol,
                    events=events, f=f)
    times = np.array(tofs[: len(rr)], dtype=float)
    stopped = False
    if events is not None:
        last = float(events[0].last_t_without_unit)
        stopped = last < tofs[-1]
        times[-1] = last if stopped else tofs[-1]
    return times, np.array(rr, dtype=float).reshape(-1, 3), np.array(vv, dtype=float).reshape(-1, 3), stopped
