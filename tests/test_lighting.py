"""The Sun and the Earth's shadow, against skyfield (JPL DE421 from skyfield-data, offline), astropy and a textbook.

skyfield's ``is_sunlit`` calls a satellite eclipsed when the line from it to the Sun's centre meets the sphere of
radius R_EARTH, with the geometric Sun. ``shadow_function`` uses the same test with the apparent Sun (light time
and aberration: the direction sunlight arrives from in the geocentric frame, hence the shadow's axis), 20" away
from the geometric one. Against ``is_sunlit`` itself the tolerance is the brief's 1 s; against the same test run by
skyfield with its apparent Sun (``skyfield_eclipsed``) it is tighter.
"""

from __future__ import annotations


import numpy as np
import pytest

import astropy.units as u
from astropy.coordinates import ITRS, get_sun
from astropy.time import Time

from constellation.access import eclipse_windows, shadow_function, sun_ephemeris, sunlit
from constellation.constants import MU_EARTH, R_EARTH
from constellation.frames import EarthRotation, SunEphemeris
from constellation.orbits import Fleet, Member, circular, parse_tles

# ISS element set from skyfield's own tests; epoch 2018-07-03 19:25 UTC.
ISS = (
    "1 25544U 98067A   18184.80969102  .00001614  00000-0  31745-4 0  9993",
    "2 25544  51.6414 295.8524 0003435 262.6267 204.2868 15.54005638121106",
)
AU_KM = 149597870.700


def angle_deg(a, b):
    return np.degrees(np.arctan2(np.linalg.norm(np.cross(a, b), axis=-1), np.sum(a * b, axis=-1)))


def skyfield_eclipsed(eph, tt, r_km):
    """skyfield's ``is_sunlit`` test (``intersect_line_and_sphere``) for GCRS positions, with the apparent Sun."""
    from skyfield.geometry import intersect_line_and_sphere

    sun = eph["earth"].at(tt).observe(eph["sun"]).apparent().xyz.km
    earth = -r_km.T
    _, far = intersect_line_and_sphere(sun + earth, earth, R_EARTH)
    return np.nan_to_num(far) > 0


def transitions(t, flags):
    """Midpoints of the sample intervals where ``flags`` changes, and whether it turns on there."""
    k = np.nonzero(flags[1:] != flags[:-1])[0]
    return 0.5 * (t[k] + t[k + 1]), flags[k + 1]


def edges(df, span):
    """Window edges inside the span (starts and ends), sorted, and whether each is a start."""
    t = np.concatenate([df.start_s.values, df.end_s.values])
    on = np.concatenate([np.ones(len(df), bool), np.zeros(len(df), bool)])
    keep = (t > span[0]) & (t < span[1])
    o = np.argsort(t[keep])
    return t[keep][o], on[keep][o]


def test_sun_matches_skyfield_de421_over_a_year(sky):
    """Apparent geocentric Sun within 0.01 deg (direction) and 1e-6 (distance) of skyfield's apparent Sun from
    DE421, at 1,000 random times through 2024. Measured: 0.0094" and 5e-8."""
    ts, eph = sky
    epoch = Time("2024-01-01T00:00:00", scale="utc")
    t = np.sort(np.random.default_rng(3).uniform(0.0, 366 * 86400.0, 1000))
    ours = SunEphemeris(epoch, 0.0, 86400.0).gcrs(t)
    ref = eph["earth"].at(ts.from_astropy(epoch + t * u.s)).observe(eph["sun"]).apparent().xyz.km.T
    assert angle_deg(ours, ref).max() < 0.01
    assert np.abs(np.linalg.norm(ours, axis=1) / np.linalg.norm(ref, axis=1) - 1.0).max() < 1e-6


def test_sun_interpolation_against_get_sun():
    """The hourly spline within the 2 cm ``SunEphemeris`` states of astropy's get_sun at times between the nodes,
    over ten days either side of the epoch (the span grows lazily). Measured: 9.6 mm."""
    epoch = Time("2024-06-20T20:51:00", scale="utc")
    sun = SunEphemeris(epoch)
    t = np.random.default_rng(5).uniform(-10 * 86400.0, 10 * 86400.0, 2000)
    ref = get_sun(epoch + t * u.s).cartesian.xyz.to_value(u.km).T
    assert np.linalg.norm(sun.gcrs(t) - ref, axis=1).max() < 2e-5


def test_sun_itrs_matches_astropy():
    """Sun in ITRS within 0.1" of astropy's GCRS -> ITRS of get_sun (same IERS tables) over three days."""
    epoch = Time("2024-03-20T00:00:00", scale="utc")
    t = np.linspace(0.0, 3 * 86400.0, 50)
    rot = EarthRotation(epoch, 0.0, 86400.0)
    ours = SunEphemeris(epoch).itrs(t, rot)
    times = epoch + t * u.s
    ref = get_sun(times).transform_to(ITRS(obstime=times)).cartesian.xyz.to_value(u.km).T
    assert angle_deg(ours, ref).max() * 3600.0 < 0.1
    with pytest.raises(ValueError, match="epoch"):
        SunEphemeris(epoch).itrs(t, EarthRotation(epoch + 1 * u.s))


def iss_fleet(epoch):
    return Fleet(epoch, [Member("ISS", parse_tles("\n".join(ISS))[0], model="sgp4")])


def test_iss_eclipses_match_skyfield_is_sunlit(sky):
    """ISS eclipse entries and exits over one day (SGP4 on both sides) against skyfield's ``is_sunlit`` sampled every
    second: same transitions, each within 1 s; against the same test with skyfield's apparent Sun, within 0.1 s of
    the second it falls in. Measured with skyfield refined to 1 ms: 0.064 s from is_sunlit (the aberration), 0.5 ms
    from the apparent-Sun test."""
    from skyfield.api import EarthSatellite

    ts, eph = sky
    epoch = Time("2018-07-03T12:00:00", scale="utc")
    span = (0.0, 86400.0)
    df = eclipse_windows(iss_fleet(epoch), *span)
    t = np.arange(span[0], span[1] + 1.0)
    tt = ts.from_astropy(epoch + t * u.s)
    at = EarthSatellite(*ISS, "ISS", ts).at(tt)
    ours, on = edges(df, span)

    ref, ref_on = transitions(t, ~at.is_sunlit(eph))
    assert len(ours) == len(ref) > 25
    assert np.array_equal(on, ref_on)
    assert np.abs(ours - ref).max() < 1.0

    ref, _ = transitions(t, skyfield_eclipsed(eph, tt, at.xyz.km.T))
    assert len(ref) == len(ours)
    assert np.abs(ours - ref).max() < 0.5 + 0.1


def test_point_queries_agree_with_windows():
    """``sunlit`` is False exactly inside the eclipse windows (checked 1 ms inside and outside every edge)."""
    epoch = Time("2018-07-03T12:00:00", scale="utc")
    fleet = iss_fleet(epoch)
    df = eclipse_windows(fleet, 0.0, 20000.0)
    inner = df[(df.start_s > 0) & (df.end_s < 20000.0)]
    t = np.concatenate([inner.start_s + 1e-3, inner.end_s - 1e-3, inner.start_s - 1e-3, inner.end_s + 1e-3])
    expect = np.repeat([False, True], 2 * len(inner))
    assert np.array_equal(sunlit(fleet, 0, t), expect)
    assert np.array_equal(sunlit(fleet, ["ISS", "ISS"], t[:2]), expect[:2])


def orbit_with_beta(epoch, beta_deg, normal="east", altitude=500.0):
    """A two-body circular orbit whose plane makes ``beta_deg`` with the apparent Sun at the epoch: its normal is
    sin(beta) s + cos(beta) e, with e the east or north direction at the Sun (east: a polar orbit at beta = 0)."""
    s = sun_ephemeris(Time(epoch, scale="utc")).gcrs(0.0)
    s = s / np.linalg.norm(s)
    east = np.cross([0.0, 0.0, 1.0], s)
    east /= np.linalg.norm(east)
    e = east if normal == "east" else np.cross(s, east)
    b = np.radians(beta_deg)
    n = np.sin(b) * s + np.cos(b) * e
    inc, raan = np.degrees(np.arccos(n[2])), np.degrees(np.arctan2(n[0], -n[1]))
    return Fleet(epoch, [Member("sat", circular(altitude, inc, raan=raan), model="twobody")])


def test_longest_eclipse_matches_textbook():
    """A circular 500 km two-body orbit with the Sun in its plane (beta = 0) is eclipsed for T = (P / pi) asin(R / a)
    per orbit: the cylindrical-shadow eclipse duration T = (P / 180 deg) acos(cos rho / cos beta), sin rho = R / a,
    of Wertz & Larson, Space Mission Analysis and Design, 3rd ed., sec. 5.1, at beta = 0. The epoch is the June
    solstice, when the Sun moves across the polar plane rather than along it. Tolerance 1 s; measured 0.074 s, the
    lengthening expected because the line-to-the-Sun's-centre shadow is a cone that widens by R x / 1 au at x km
    behind the Earth (0.077 s here)."""
    fleet = orbit_with_beta("2024-06-20T20:51:00", 0.0)
    a = R_EARTH + 500.0
    period = 2 * np.pi * np.sqrt(a**3 / MU_EARTH)
    df = eclipse_windows(fleet, 0.0, 3 * period)
    full = df[(df.start_s > 0) & (df.end_s < 3 * period)]
    assert len(full) >= 2
    assert np.abs(full.duration_s - period / np.pi * np.arcsin(R_EARTH / a)).max() < 1.0


def test_grazing_eclipses_shorter_than_the_scan_step(sky):
    """Near the critical beta angle eclipses last less than the 190 s scan step and shrink orbit by orbit; each must
    still be found, with edges within 0.1 s of the second in which skyfield's line-sphere test (apparent Sun, on the
    same positions, sampled every second) changes."""
    ts, eph = sky
    epoch = Time("2024-06-20T20:51:00", scale="utc")
    a = R_EARTH + 500.0
    rho = np.arcsin(R_EARTH / a)
    beta = np.degrees(np.arccos(np.cos(rho) / np.cos(np.pi * 60.0 / (2 * np.pi * np.sqrt(a**3 / MU_EARTH)))))
    fleet = orbit_with_beta(epoch, beta, normal="north")
    span = (0.0, 6 * 3600.0)
    df = eclipse_windows(fleet, *span)
    assert len(df) >= 3 and df.duration_s.max() < 100.0
    t = np.arange(span[0], span[1] + 1.0)
    r = fleet.states(t, np.zeros(len(t), int))[0]
    ref, ref_on = transitions(t, skyfield_eclipsed(eph, ts.from_astropy(epoch + t * u.s), r))
    ours, on = edges(df, span)
    assert len(ours) == len(ref) and np.array_equal(on, ref_on)
    assert np.abs(ours - ref).max() < 0.5 + 0.1


def test_shadow_function_sign():
    """Positive behind the Earth, negative on the day side and beside the shadow; one Earth radius off the axis at
    the boundary."""
    sun = np.array([AU_KM, 0.0, 0.0])
    r = np.array([[-7000.0, 0.0, 0.0], [7000.0, 0.0, 0.0], [-7000.0, 7000.0, 0.0], [-7000.0, R_EARTH, 0.0]])
    f = shadow_function(r, sun)
    assert f[0] > 0 > f[1] and f[2] < 0 and abs(f[3]) < 1.0
