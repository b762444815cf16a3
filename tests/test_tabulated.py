"""Tabulated trajectories: interpolation accuracy, agreement with the ``oem`` package's interpolators, and a
trajectory as a fleet member."""

import astropy.units as u
import numpy as np
import pytest
from astropy.time import Time

from constellation.orbits import Fleet, Member, classical
from constellation.orbits.propagation import mean_elements_state
from constellation.orbits.tabulated import OutsideCoverage, Trajectory, interpolate, nodes_for

EPOCH = "2026-11-01T00:00:00"
ELEMENTS = classical(7000.0, 0.05, np.radians(50.0), 0.3, 0.2, 0.1)


def _kepler(t):
    el = ELEMENTS
    return mean_elements_state(el.a, el.ecc, el.inc, el.raan, el.argp, el.mean_anomaly, np.asarray(t), j2=False)


@pytest.mark.parametrize(
    "method, degree, step, tol_mm",
    [("hermite", 5, 60.0, 1.0), ("hermite", 7, 60.0, 0.01), ("lagrange", 9, 60.0, 0.1), ("hermite", 3, 20.0, 10.0)],
)
def test_interpolation_between_nodes_matches_the_sampled_orbit(method, degree, step, tol_mm):
    """The function sampled is two-body Kepler motion (e = 0.05, a = 7000 km), so the exact value between nodes is
    known. Tolerances: the interpolation remainder f^(d+1) h^(d+1) / (d+1)! with |f^(k)| ~ a n^k (n the mean
    motion, 1.08e-3 rad/s) and a margin of the eccentricity's harmonics; for Hermite 5 at 60 s that is 0.1 mm, so
    1 mm allows for the e = 0.05 harmonics."""
    t = np.arange(0.0, 6 * 3600.0 + step, step)
    r, v = _kepler(t)
    tq = np.linspace(0.0, t[-1], 2001)
    rq, vq = interpolate(t, r, v, tq, method, degree)
    r_true, v_true = _kepler(tq)
    assert np.max(np.linalg.norm(rq - r_true, axis=1)) * 1e6 < tol_mm
    assert np.max(np.linalg.norm(vq - v_true, axis=1)) * 1e6 < tol_mm


@pytest.mark.parametrize("method, degree", [("hermite", 5), ("hermite", 7), ("lagrange", 5), ("lagrange", 8)])
def test_interpolation_agrees_with_the_oem_package(method, degree):
    """Reference: the ``oem`` package's own interpolators (``EphemerisSegment.__call__``: the window whose centre is
    nearest the epoch, a polynomial through its rows, Hermite velocity the polynomial's derivative). Same rows, same
    polynomial: they agree to 0.001 mm and 0.001 mm/s (measured 5e-5 mm: the rounding of its monomial solve and of
    astropy epoch differences)."""
    from oem.interp import EphemerisInterpolator

    step = 120.0
    t = np.arange(0.0, 3 * 3600.0 + step, step)
    r, v = _kepler(t)
    epoch = Time(EPOCH, scale="utc")
    epochs = epoch + t * u.s
    interp = EphemerisInterpolator((epochs, r, v), method, degree)
    rng = np.random.default_rng(7)
    tq = np.sort(rng.uniform(0.0, t[-1], 40))
    rq, vq = interpolate(t, r, v, tq, method, degree)
    for k, s in enumerate(tq):
        ref_r, ref_v, _ = interp(epoch + s * u.s)
        assert np.max(np.abs(rq[k] - ref_r)) < 1e-9
        assert np.max(np.abs(vq[k] - ref_v)) < 1e-9


def test_a_trajectory_member_is_the_orbit_it_tabulates_in_both_frames():
    """A fleet member given as a Hermite-7 table of a two-body orbit matches the same orbit given as elements in
    GCRS and ITRS (same rotation), to 0.01 mm (the interpolation bound above)."""
    t = np.arange(0.0, 86400.0 + 60.0, 60.0)
    r, v = _kepler(t)
    traj = Trajectory(EPOCH, t, r, v, interpolation="hermite", degree=7, name="tab")
    fleet = Fleet(EPOCH, [Member("elements", ELEMENTS, "twobody"), Member("tab", traj, "tabulated")])
    tq = np.linspace(0.0, 86400.0, 3001)
    for frame in ("gcrs", "itrs"):
        rr, vv = fleet.states(tq, frame=frame)
        assert np.max(np.abs(rr[0] - rr[1])) * 1e6 < 0.01
        assert np.max(np.abs(vv[0] - vv[1])) * 1e6 < 0.01
    pairs = fleet.positions_itrs(tq, np.ones(len(tq), dtype=int))
    assert np.max(np.abs(pairs - fleet.positions_itrs(tq)[1])) == 0.0
    assert fleet.perigee_radii()[1] == pytest.approx(7000.0 * 0.95, abs=1.0)
    assert fleet.apogee_radii()[1] == pytest.approx(7000.0 * 1.05, abs=1.0)
    assert fleet.semi_major_axes()[1] == pytest.approx(7000.0, rel=1e-9)


def test_a_trajectory_with_another_epoch_is_shifted_onto_the_fleet_epoch():
    """A table whose epoch is one hour before the fleet's gives, at fleet time t, the table's state at t + 3600 s."""
    t = np.arange(0.0, 4 * 3600.0, 60.0)
    r, v = _kepler(t)
    earlier = Time(EPOCH) - 3600.0 * u.s
    fleet = Fleet(EPOCH, [Member("tab", Trajectory(earlier, t, r, v, degree=7), "tabulated")])
    got, _ = fleet.states(np.array([0.0, 600.0]))
    want, _ = _kepler(np.array([3600.0, 4200.0]))
    assert np.max(np.abs(got[0] - want)) * 1e6 < 0.01


def test_times_outside_the_table_are_refused_with_the_span_it_covers():
    t = np.arange(0.0, 3600.0 + 1, 60.0)
    r, v = _kepler(t)
    fleet = Fleet(EPOCH, [Member("tab", Trajectory(EPOCH, t, r, v, name="tab"), "tabulated")])
    with pytest.raises(OutsideCoverage, match="tab covers 2026-11-01T00:00:00 to 2026-11-01T01:00:00"):
        fleet.states(np.array([0.0, 7200.0]))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(interpolation="spline"), "interpolation must be one of"),
        (dict(degree=4), "Hermite interpolation degree is odd"),
        (dict(degree=0, interpolation="lagrange"), "at least 1"),
    ],
)
def test_bad_interpolation_settings_are_refused(kwargs, message):
    t = np.arange(0.0, 600.0, 60.0)
    r, v = _kepler(t)
    with pytest.raises(ValueError, match=message):
        Trajectory(EPOCH, t, r, v, **kwargs)


def test_bad_tables_are_refused():
    t = np.arange(0.0, 600.0, 60.0)
    r, v = _kepler(t)
    with pytest.raises(ValueError, match="increase strictly"):
        Trajectory(EPOCH, t[::-1], r, v)
    r2 = r.copy()
    r2[3, 0] = np.nan
    with pytest.raises(ValueError, match="finite"):
        Trajectory(EPOCH, t, r2, v)
    with pytest.raises(ValueError, match="needs at least 4"):
        Trajectory(EPOCH, t[:3], r[:3], v[:3], degree=7)
    assert nodes_for("lagrange", 7) == 8 and nodes_for("hermite", 7) == 4
