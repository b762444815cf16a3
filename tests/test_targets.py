"""Target access against a brute-force scan, and targets' validation.

The brute force samples every second the conditions ``target_windows`` refines: the off-nadir angle, taken directly
as the angle between -r_sat and the line of sight (arccos of the normalised dot product), the target's geodetic
horizon, and for daylight imaging the Sun's altitude from skyfield (JPL DE421 from skyfield-data, topocentric,
apparent, no refraction). Satellite positions come from the fleet on both sides: what is tested is the window
search, not the propagator. Window edges must agree within 1 s (the brute force brackets each edge within a
second); minimum off-nadir angles within 0.01 deg of a 1 ms scan around the brute-force minimum.
"""

from __future__ import annotations


import numpy as np
import pytest

import astropy.units as u
from astropy.time import Time

from constellation.access import Target, region_targets, target_windows
from constellation.constants import F_EARTH, R_EARTH
from constellation.frames import itrs_to_geodetic
from constellation.orbits import Fleet, Member, circular

EPOCH = Time("2024-03-20T12:00:00", scale="utc")
SPAN = (0.0, 6 * 3600.0)
NADIR_T = 3000.0


@pytest.fixture(scope="module")
def fleet():
    """Two LEO satellites (cone inside the limb at 30 deg) and a MEO one (beyond the limb: horizon intersected)."""
    return Fleet(EPOCH, [
        Member("leo-sso", circular(550.0, 97.6, raan=30.0, arg_latitude=10.0)),
        Member("leo-53", circular(700.0, 53.0, raan=120.0, arg_latitude=200.0)),
        Member("meo", circular(8000.0, 55.0, raan=250.0, arg_latitude=90.0)),
    ])


def nadir_point(fleet, sat, t):
    """Geodetic latitude and longitude where the line from the satellite to the Earth's centre meets the ellipsoid."""
    r = fleet.states(np.array([t]), np.array([sat]), frame="itrs")[0][0]
    b = R_EARTH * (1.0 - F_EARTH)
    k = 1.0 / np.sqrt((r[0] ** 2 + r[1] ** 2) / R_EARTH**2 + r[2] ** 2 / b**2)
    lat, lon, _ = itrs_to_geodetic(k * r)
    return float(lat), float(lon)


@pytest.fixture(scope="module")
def targets(fleet):
    """Points up to 4 deg from the satellites' ground tracks at random times, and one exactly below satellite 0."""
    rng = np.random.default_rng(11)
    out = []
    for k in range(8):
        lat, lon = nadir_point(fleet, k % 2, rng.uniform(*SPAN))
        lat = float(np.clip(lat + rng.uniform(-4, 4), -89, 89))
        out.append(Target(f"t{k}", lat, float((lon + rng.uniform(-4, 4) + 180) % 360 - 180), priority=k % 3 + 1))
    out.append(Target("nadir", *nadir_point(fleet, 0, NADIR_T)))
    return out


def sun_altitudes(sky, targets, t):
    """The Sun's apparent topocentric altitude (deg, no refraction) at each target every 10 s, from skyfield, and
    interpolated linearly to ``t`` (error below 1e-5 deg: the altitude's second derivative is at most Omega^2)."""
    from skyfield.api import wgs84

    ts, eph = sky
    nodes = np.arange(SPAN[0], SPAN[1] + 10.0, 10.0)
    tt = ts.from_astropy(EPOCH + nodes * u.s)
    out = {}
    for target in targets:
        place = eph["earth"] + wgs84.latlon(target.lat_deg, target.lon_deg, elevation_m=target.height_km * 1000.0)
        out[target.name] = np.interp(t, nodes, place.at(tt).observe(eph["sun"]).apparent().altaz()[0].degrees)
    return out


def off_nadir_and_view(fleet, sat, target, t):
    """Off-nadir angle (deg) and whether the satellite is above the target's horizon, straight from the geometry."""
    r = fleet.states(t, np.full(len(t), sat), frame="itrs")[0]
    los = target.itrs - r
    cos_eta = np.sum(-r * los, axis=1) / (np.linalg.norm(r, axis=1) * np.linalg.norm(los, axis=1))
    return np.degrees(np.arccos(np.clip(cos_eta, -1, 1))), np.sum(-los * target.up, axis=1) > 0


def brute_force(fleet, sat, target, limit, sun_alt=None, sun_min=None):
    """Windows (start, end) from a 1 s scan (edges at the middle of the bracketing second) and, for each, the least
    off-nadir angle over a 1 ms scan of 2 s around the sampled minimum, inside the window. ``sun_alt``: the Sun's
    altitude every second, interpolated linearly between."""
    t = np.arange(SPAN[0], SPAN[1] + 1.0)

    def ok(tt):
        eta, above = off_nadir_and_view(fleet, sat, target, tt)
        good = (eta <= limit) & above
        if sun_min is not None:
            good &= np.interp(tt, t, sun_alt) > sun_min
        return good, eta

    good, eta = ok(t)
    k = np.nonzero(good[1:] != good[:-1])[0]
    edges = 0.5 * (t[k] + t[k + 1])
    starts = list(edges[good[k + 1]])
    ends = list(edges[~good[k + 1]])
    if good[0]:
        starts.insert(0, SPAN[0])
    if good[-1]:
        ends.append(SPAN[1])
    minima = []
    for s, e in zip(starts, ends):
        inside = (t >= s) & (t <= e)
        t_min = t[inside][np.argmin(eta[inside])]
        fine = np.arange(max(t_min - 1.0, SPAN[0]), min(t_min + 1.0, SPAN[1]) + 1e-9, 1e-3)
        g, eta_fine = ok(fine)
        minima.append(eta_fine[g].min())
    return np.array(starts), np.array(ends), np.array(minima)


def compare(fleet, targets, df, limit, sun_min=None, sky=None):
    """Every (satellite, target) pair: same windows as the brute force within 1 s, minima within 0.01 deg."""
    worst_edge, worst_angle, count = 0.0, 0.0, 0
    t = np.arange(SPAN[0], SPAN[1] + 1.0)
    sun = sun_altitudes(sky, targets, t) if sun_min is not None else {}
    for sat, name in enumerate(fleet.names):
        for target in targets:
            starts, ends, minima = brute_force(fleet, sat, target, limit, sun.get(target.name), sun_min)
            ours = df[(df.satellite == name) & (df.target == target.name)]
            assert len(ours) == len(starts), (name, target.name)
            if len(ours):
                worst_edge = max(worst_edge, np.abs(ours.start_s - starts).max(), np.abs(ours.end_s - ends).max())
                worst_angle = max(worst_angle, np.abs(ours.min_off_nadir_deg - minima).max())
                assert np.all((ours.best_s >= ours.start_s) & (ours.best_s <= ours.end_s))
            count += len(ours)
    assert worst_edge < 1.0
    assert worst_angle < 0.01
    return count


def test_windows_match_brute_force(fleet, targets):
    """30 deg off-nadir over six hours for two LEO satellites and a MEO one whose cone reaches past the limb.
    Measured: edges within 0.47 s of the brute-force midpoints, minima within 6e-9 deg."""
    df = target_windows(fleet, targets, *SPAN, max_off_nadir_deg=30.0)
    assert compare(fleet, targets, df, 30.0) >= 10
    assert set(df.satellite) == set(fleet.names)


def test_daylight_windows_match_brute_force(fleet, targets, sky):
    """As above for the LEO pair with a minimum Sun elevation: the Sun's altitude at the middle of the longest
    window, so that at least that window is cut by the Sun (skyfield's Sun in the brute force).
    Measured: edges within 0.45 s of the brute-force midpoints, minima within 7e-6 deg (the 1 ms scan)."""
    leo = Fleet(EPOCH, fleet.members[:2])
    plain = target_windows(leo, targets, *SPAN, max_off_nadir_deg=30.0)
    w = plain.loc[plain.duration_s.idxmax()]
    mid = 0.5 * (w.start_s + w.end_s)
    sun_min = float(sun_altitudes(sky, [t for t in targets if t.name == w.target], np.array([mid]))[w.target][0])
    df = target_windows(leo, targets, *SPAN, max_off_nadir_deg=30.0, min_sun_elevation_deg=sun_min)
    cut = df[(df.satellite == w.satellite) & (df.target == w.target) & (df.end_s > w.start_s) & (df.start_s < w.end_s)]
    assert len(cut) == 1 and cut.duration_s.iloc[0] < w.duration_s - 1.0
    compare(leo, targets, df, 30.0, sun_min=sun_min, sky=sky)


def test_target_below_the_ground_track(fleet, targets):
    """A target where satellite 0's nadir line meets the ellipsoid at t = 3000 s is seen at off-nadir ~0 then.
    Measured: 0 deg, 2e-12 s."""
    df = target_windows(fleet, targets, *SPAN, max_off_nadir_deg=10.0, sats=["leo-sso"])
    row = df[(df.target == "nadir") & (df.start_s < NADIR_T) & (df.end_s > NADIR_T)]
    assert len(row) == 1
    assert row.min_off_nadir_deg.iloc[0] < 0.01
    assert abs(row.best_s.iloc[0] - NADIR_T) < 0.01


def test_satellite_subsets_agree(fleet, targets):
    """``sats`` by index or name, in any order and repeated, gives exactly the full search's rows for them."""
    full = target_windows(fleet, targets, *SPAN, max_off_nadir_deg=25.0)
    for sats in ([1, 2], ["meo", "leo-53", "meo"]):
        part = target_windows(fleet, targets, *SPAN, max_off_nadir_deg=25.0, sats=sats)
        expect = full[full.satellite.isin(["leo-53", "meo"])].reset_index(drop=True)
        assert np.allclose(part[["start_s", "end_s", "best_s"]], expect[["start_s", "end_s", "best_s"]], atol=1e-6)


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"lat_deg": 95.0, "lon_deg": 0.0}, "lat_deg"),
        ({"lat_deg": -90.5, "lon_deg": 0.0}, "lat_deg"),
        ({"lat_deg": 10.0, "lon_deg": 400.0}, "lon_deg"),
        ({"lat_deg": 10.0, "lon_deg": 360.0}, "lon_deg"),
        ({"lat_deg": 10.0, "lon_deg": -180.5}, "lon_deg"),
        ({"lat_deg": 10.0, "lon_deg": 0.0, "priority": 1.5}, "priority"),
        ({"lat_deg": 10.0, "lon_deg": 0.0, "height_km": 50.0}, "height_km"),
    ],
)
def test_bad_targets_name_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        Target("bad", **kwargs)


def test_bad_requests_are_refused(fleet, targets):
    with pytest.raises(ValueError, match="max_off_nadir_deg"):
        target_windows(fleet, targets, *SPAN, max_off_nadir_deg=95.0)
    with pytest.raises(ValueError, match="min_sun_elevation_deg"):
        target_windows(fleet, targets, *SPAN, max_off_nadir_deg=30.0, min_sun_elevation_deg=100.0)
    with pytest.raises(ValueError, match="spacing_km"):
        region_targets("r", 0, 1, 0, 1, 0.0)
    assert target_windows(fleet, [], *SPAN, max_off_nadir_deg=30.0).empty


def great_circle_km(a, b):
    la1, lo1, la2, lo2 = (np.radians(x) for x in (a[0], a[1], b[0], b[1]))
    c = np.sin(la1) * np.sin(la2) + np.cos(la1) * np.cos(la2) * np.cos(lo1 - lo2)
    return R_EARTH * np.arccos(np.clip(c, -1, 1))


def test_region_targets_cover_the_box_evenly():
    """A 10 x 20 deg box at mid-latitude with 100 km spacing: as many points as its area over 100 km squared (within
    10%), all inside, each point's nearest neighbour 70 to 130 km away."""
    pts = region_targets("box", 40.0, 50.0, 0.0, 20.0, 100.0, priority=2)
    area = R_EARTH**2 * np.radians(20.0) * (np.sin(np.radians(50.0)) - np.sin(np.radians(40.0)))
    assert abs(len(pts) / (area / 100.0**2) - 1.0) < 0.1
    assert all(40 <= p.lat_deg <= 50 and 0 <= p.lon_deg <= 20 and p.priority == 2 for p in pts)
    assert len({p.name for p in pts}) == len(pts)
    latlon = np.array([[p.lat_deg, p.lon_deg] for p in pts])
    d = great_circle_km(latlon[:, None, :].T, latlon[None, :, :].T)
    np.fill_diagonal(d, np.inf)
    assert 70.0 < d.min(axis=1).min() and d.min(axis=1).max() < 130.0


def test_region_targets_across_the_antimeridian():
    pts = region_targets("pacific", -5.0, 5.0, 170.0, 190.0, 200.0)
    lons = np.array([p.lon_deg for p in pts])
    assert np.all((lons >= 170.0) | (lons < -170.0)) and np.any(lons < 0) and np.any(lons > 0)
