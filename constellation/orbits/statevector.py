"""Cartesian states as orbits: a state in GCRS, ITRS, TEME or EME2000 turned to the GCRS, then to mean elements.

Frames are converted by astropy. EME2000 (also called J2000) is the mean equator and equinox of J2000.0; astropy's
``PrecessedGeocentric`` with ``equinox="J2000"`` is that frame, related to the GCRS by the IAU 2006 frame bias alone
(a fixed rotation of about 23 mas, 0.8 m at 7,000 km), which is how orbit software (Orekit, GMAT) defines EME2000.
FK5 at J2000 is the catalogue realisation of the same axes and differs from them by tens of mas, and its astropy
transform is barycentric, which a geocentric state is not, so it is not used.

The mean-element propagators take the osculating elements of a state as their mean elements at the state's epoch:
the state is met exactly at that epoch, and the short-period J2 terms a true mean-element fit would remove (a few
km in LEO) are left in.
"""

from __future__ import annotations

import numpy as np

from .elements import Elements

FRAMES = ("gcrs", "itrs", "teme", "eme2000", "j2000")
"""Frames a state may be given in; 'j2000' is another name for 'eme2000'."""


def to_gcrs(r_km, v_km_s, times, frame: str):
    """GCRS positions (km) and velocities (km/s), arrays (N, 3), of states in ``frame`` at ``times``.

    ``times`` is an astropy Time, scalar or of length N. ITRS velocities are relative to the rotating Earth (the
    Earth's rotation is added on the way to the GCRS); Earth orientation comes from the IERS tables astropy bundles,
    predictions included, and nothing is downloaded.
    """
    import warnings

    import astropy.units as u
    from astropy.coordinates import (
        GCRS,
        ITRS,
        TEME,
        CartesianDifferential,
        CartesianRepresentation,
        PrecessedGeocentric,
    )
    from astropy.utils import iers

    frame = frame.lower()
    if frame not in FRAMES:
        raise ValueError(f"unknown frame {frame!r}: expected one of {', '.join(FRAMES)}")
    r = np.asarray(r_km, dtype=float).reshape(-1, 3)
    v = np.asarray(v_km_s, dtype=float).reshape(-1, 3)
    if frame == "gcrs":
        return r.copy(), v.copy()
    rep = CartesianRepresentation(r.T * u.km, differentials=CartesianDifferential(v.T * u.km / u.s))
    if frame in ("eme2000", "j2000"):
        source = PrecessedGeocentric(rep, equinox="J2000", obstime=times)
    else:
        source = {"itrs": ITRS, "teme": TEME}[frame](rep, obstime=times)
    with warnings.catch_warnings(), iers.conf.set_temp("auto_download", False), \
            iers.conf.set_temp("auto_max_age", None):
        warnings.simplefilter("ignore")
        out = source.transform_to(GCRS(obstime=times))
    return out.cartesian.xyz.to_value(u.km).T, out.velocity.d_xyz.to_value(u.km / u.s).T


def state_elements(r_gcrs_km, v_gcrs_km_s, state_epoch, epoch=None, j2: bool = True) -> Elements:
    """Mean elements at ``epoch`` (UTC; default ``state_epoch``) of a GCRS state at ``state_epoch``.

    The state's osculating elements (boinor's ``Orbit.from_vectors``) are moved from one epoch to the other with
    the secular J2 rates of the node, perigee and mean anomaly (``j2=False``: the two-body mean motion alone), as
    the J2 and two-body propagators move them. ValueError for a state that is not a closed orbit, or whose orbit
    would hit the Earth.
    """
    from astropy.time import Time

    from .boinor_bridge import osculating_elements
    from .propagation import secular_rates

    a, ecc, inc, raan, argp, mean = osculating_elements(r_gcrs_km, v_gcrs_km_s, state_epoch)
    dt = 0.0 if epoch is None else float((Time(epoch, scale="utc") - Time(state_epoch, scale="utc")).sec)
    raan_dot, argp_dot, m_dot = (float(x) for x in secular_rates(np.float64(a), ecc, inc, j2))
    two_pi = 2.0 * np.pi
    return Elements(a, ecc, inc, (raan + raan_dot * dt) % two_pi, (argp + argp_dot * dt) % two_pi,
                    (mean + m_dot * dt) % two_pi)
