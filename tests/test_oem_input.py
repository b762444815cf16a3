"""CCSDS OEM ephemerides as satellites: interpolation between nodes against the exact orbit and against the ``oem``
package's own interpolation, frames and time systems converted by astropy, segments joined, the run's coverage.

The OEMs are written with the ``oem`` package from two-body Kepler states (``mean_elements_state(..., j2=False)``),
so the true state between the nodes is known exactly.
"""

from __future__ import annotations

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import GCRS, ITRS, CartesianDifferential, CartesianRepresentation, PrecessedGeocentric
from astropy.time import Time
from astropy.utils import iers
from typer.testing import CliRunner

from constellation.cli import app
from constellation.orbits import OEMError, classical, load_oem
from constellation.orbits.propagation import mean_elements_state
from constellation.scenario import Scenario, ScenarioError

START = Time("2026-11-01T00:00:00", scale="utc")
STEP_S = 60.0
ELEMENTS = classical(7000.0, 0.01, 50.0, 30.0, 40.0, 10.0)


def kepler(t_s):
    """Exact two-body GCRS states (km, km/s) at ``t_s`` seconds after START."""
    el = ELEMENTS
    return mean_elements_state(el.a, el.ecc, el.inc, el.raan, el.argp, el.mean_anomaly, np.asarray(t_s, float),
                               j2=False)


def from_gcrs(frame: str, times, r, v):
    """States turned from the GCRS into ``frame`` by astropy, as another program would write them."""
    if frame in ("GCRF", "ICRF"):
        return r, v
    rep = CartesianRepresentation(r.T * u.km, differentials=CartesianDifferential(v.T * u.km / u.s))
    target = PrecessedGeocentric(equinox="J2000", obstime=times) if frame == "EME2000" else ITRS(obstime=times)
    with iers.conf.set_temp("auto_max_age", None):  # the bundled table's predictions cover the epoch
        out = GCRS(rep, obstime=times).transform_to(target)
    return out.cartesian.xyz.to_value(u.km).T, out.velocity.d_xyz.to_value(u.km / u.s).T


def segment(t_s, frame="GCRF", time_system="UTC", interpolation=("HERMITE", 7), name="PROBE", usable=None):
    """An ``oem`` EphemerisSegment of the Kepler states at ``t_s``."""
    from oem.components import EphemerisSegment, MetaDataSection

    t_s = np.asarray(t_s, float)
    times = START + t_s * u.s
    r, v = from_gcrs(frame, times, *kepler(t_s))
    stamps = {"UTC": times.utc, "TAI": times.tai, "TT": times.tt, "GPS": times.tai - 19 * u.s}[time_system]
    epochs = tuple(Time(s.isot, scale="utc") for s in stamps)
    meta = {"OBJECT_NAME": name, "OBJECT_ID": "2026-150A", "CENTER_NAME": "EARTH", "REF_FRAME": frame,
            "TIME_SYSTEM": time_system, "START_TIME": stamps[0].isot, "STOP_TIME": stamps[-1].isot}
    if usable is not None:
        meta["USEABLE_START_TIME"] = (stamps[0] + usable[0] * u.s).isot
        meta["USEABLE_STOP_TIME"] = (stamps[-1] - usable[1] * u.s).isot
    if interpolation is not None:
        meta["INTERPOLATION"], meta["INTERPOLATION_DEGREE"] = interpolation[0], str(interpolation[1])
    return EphemerisSegment(MetaDataSection(meta), (epochs, *r.T, *v.T))


def write(path, *segments, fmt="kvn"):
    from oem import OrbitEphemerisMessage
    from oem.components import HeaderSection

    header = HeaderSection({"CCSDS_OEM_VERS": "2.0", "CREATION_DATE": "2026-11-01T00:00:00", "ORIGINATOR": "TEST"})
    OrbitEphemerisMessage(header, list(segments)).save_as(path, file_format=fmt)
    return path


def table(hours=6.0):
    return np.arange(0.0, hours * 3600.0 + STEP_S, STEP_S)


def between(trajectory, hours=6.0, n=997):
    """Query times strictly between nodes over the table (s after START) and the trajectory's states there."""
    t = np.linspace(1.0, hours * 3600.0 - 1.0, n)
    offset = (START - trajectory.epoch).sec
    return t, *trajectory.states(t + offset)


@pytest.mark.parametrize("fmt", ["kvn", "xml"])
def test_interpolated_states_match_the_exact_orbit(tmp_path, fmt):
    """Hermite of degree 7 (4 rows) at a 60 s step: the remainder a n^8 prod(t - t_i)^2 / 8! is 2e-5 mm at mid
    window (a = 7000 km, n = 1.07e-3 rad/s), and the 15 digits the file keeps are 1e-4 mm: 0.01 mm and 0.01 mm/s
    hold with room for the eccentricity's harmonics."""
    (traj,) = load_oem(write(tmp_path / f"probe.{fmt}", segment(table()), fmt=fmt))
    assert traj.name == "PROBE" and traj.object_id == "2026-150A" and traj.interpolation == "hermite"
    t, r, v = between(traj)
    r_true, v_true = kepler(t)
    assert np.max(np.linalg.norm(r - r_true, axis=1)) * 1e6 < 0.01
    assert np.max(np.linalg.norm(v - v_true, axis=1)) * 1e6 < 0.01


@pytest.mark.parametrize("interpolation", [("HERMITE", 5), ("LAGRANGE", 7), None])
def test_interpolation_agrees_with_the_oem_package(tmp_path, interpolation):
    """Reference: the ``oem`` package's own interpolation of the same file (``message(epoch)``, and ``steps``), the
    same polynomial through the same rows (its default Lagrange of degree 5 when the file names none): 1e-3 mm."""
    from oem import OrbitEphemerisMessage

    path = write(tmp_path / "probe.oem", segment(table(2.0), interpolation=interpolation))
    (traj,) = load_oem(path)
    assert (traj.interpolation, traj.degree) == (("lagrange", 5) if interpolation is None else
                                                 (interpolation[0].lower(), interpolation[1]))
    message = OrbitEphemerisMessage.open(path)
    epochs = START + np.linspace(7.0, 2 * 3600.0 - 7.0, 41) * u.s
    ref = [message(e) for e in epochs]
    r, v = traj.states((epochs - traj.epoch).sec)
    assert np.max(np.abs(r - np.array([s.position for s in ref]))) * 1e6 < 1e-3
    assert np.max(np.abs(v - np.array([s.velocity for s in ref]))) * 1e6 < 1e-3
    stepped = list(message.steps(600.0))
    r, _ = traj.states(np.array([(s.epoch - traj.epoch).sec for s in stepped]))
    assert np.max(np.abs(r - np.array([s.position for s in stepped]))) * 1e6 < 1e-3


@pytest.mark.parametrize("frame", ["EME2000", "ITRF2020", "ITRF-93"])
def test_frames_are_turned_to_gcrs_by_astropy(tmp_path, frame):
    """States written in EME2000 or an ITRF by astropy come back in the GCRS: the exact Kepler states to 0.01 mm and
    0.01 mm/s (a rotation and its inverse; astropy's finite-difference ITRS velocities round-trip as well)."""
    (traj,) = load_oem(write(tmp_path / "probe.oem", segment(table(2.0), frame=frame)))
    t, r, v = between(traj, 2.0, 201)
    r_true, v_true = kepler(t)
    assert np.max(np.linalg.norm(r - r_true, axis=1)) * 1e6 < 0.01
    assert np.max(np.linalg.norm(v - v_true, axis=1)) * 1e6 < 0.01


@pytest.mark.parametrize("system", ["TAI", "TT", "GPS"])
def test_time_systems_are_turned_to_utc(tmp_path, system):
    """The same instants written in TAI, TT or GPS time give the same trajectory as in UTC (to 1 ns)."""
    (utc,) = load_oem(write(tmp_path / "utc.oem", segment(table(1.0))))
    (other,) = load_oem(write(tmp_path / f"{system}.oem", segment(table(1.0), time_system=system)))
    assert abs((other.epoch - utc.epoch).sec) < 1e-9
    assert np.max(np.abs(other.t - utc.t)) < 1e-9


def test_segments_that_touch_or_overlap_are_joined(tmp_path):
    """Three segments: the second starts at the first's last epoch (that state is kept once); the third's data
    start four rows before its usable span, which starts where the second's ends. Joined, they are one table with
    every epoch once, equal to the single segment's."""
    t = table(3.0)
    parts = [segment(t[:61]), segment(t[60:121]), segment(t[116:], usable=(240.0, 0.0))]
    (joined,) = load_oem(write(tmp_path / "parts.oem", *parts))
    (whole,) = load_oem(write(tmp_path / "whole.oem", segment(t)))
    assert np.array_equal(joined.t, whole.t)
    assert np.max(np.abs(joined.r - whole.r)) == 0.0
    assert joined.coverage == pytest.approx(whole.coverage) == (0.0, t[-1])


def test_segments_apart_stay_apart_and_the_usable_span_counts(tmp_path):
    t = table(4.0)
    first, second = load_oem(write(tmp_path / "gap.oem", segment(t[:61], usable=(120.0, 0.0)), segment(t[121:])))
    assert first.coverage == pytest.approx((120.0, 3600.0), abs=1e-6)
    assert second.span() == ("2026-11-01T02:01:00", "2026-11-01T04:00:00")


@pytest.mark.parametrize("change, message", [
    ({"CENTER_NAME": "MOON"}, "CENTER_NAME is 'MOON'"),
    ({"REF_FRAME": "TOD"}, "REF_FRAME 'TOD' is not supported"),
    ({"TIME_SYSTEM": "TDB"}, "TIME_SYSTEM 'TDB' is not supported"),
    ({"INTERPOLATION": "CHEBYSHEV"}, "INTERPOLATION 'CHEBYSHEV' is not supported"),
    ({"INTERPOLATION_DEGREE": "6"}, "Hermite interpolation degree is odd"),
])
def test_unsupported_metadata_is_refused(tmp_path, change, message):
    seg = segment(table(0.5))
    for key, value in change.items():
        seg.metadata[key] = value
    with pytest.raises(OEMError, match=message):
        load_oem(write(tmp_path / "bad.oem", seg))


SCENARIO = """\
name: oem_probe
epoch: {epoch}
duration: {duration}
satellites:
  - orbit: oem
    file: {file}
ground_stations:
  - {{name: g, latitude: 35.7, longitude: 51.4}}
"""


def test_an_oem_is_a_satellite_of_the_scenario(tmp_path):
    """The member is named after OBJECT_NAME, propagates as 'tabulated' and gives the exact orbit (0.01 mm) at the
    scenario's own times, which start an hour into the OEM."""
    write(tmp_path / "probe.oem", segment(table()), fmt="xml")
    (tmp_path / "s.yaml").write_text(SCENARIO.format(epoch="2026-11-01T01:00:00Z", duration="2 h", file="probe.oem"))
    from constellation.scenario import load_scenario

    scenario = load_scenario(tmp_path / "s.yaml")
    fleet = scenario.fleet()
    (member,) = fleet.members
    assert (member.name, member.model, scenario.satellites[0].name) == ("PROBE", "tabulated", "PROBE")
    t = np.linspace(0.0, 7200.0, 301)
    r, _ = fleet.states(t, frame="gcrs")
    r_true, _ = kepler(t + 3600.0)
    assert np.max(np.linalg.norm(r[0] - r_true, axis=1)) * 1e6 < 0.01


def test_an_oem_that_does_not_cover_the_run_is_refused_at_its_file(tmp_path):
    write(tmp_path / "probe.oem", segment(table()))
    text = SCENARIO.format(epoch="2026-11-01T01:00:00Z", duration="1 d", file="probe.oem")
    with pytest.raises(ScenarioError) as caught:
        Scenario.from_yaml_text(text, base_dir=tmp_path)
    (problem,) = caught.value.problems
    assert problem.path == "satellites[0].file" and problem.line == 6
    assert problem.message == ("the OEM covers 2026-11-01T00:00:00 to 2026-11-01T06:00:00; the run needs "
                               "2026-11-01T01:00:00 to 2026-11-02T01:00:00")


def test_a_gap_inside_the_run_is_refused(tmp_path):
    t = table(4.0)
    write(tmp_path / "gap.oem", segment(t[:61]), segment(t[121:]))
    text = SCENARIO.format(epoch="2026-11-01T00:00:00Z", duration="3 h", file="gap.oem")
    with pytest.raises(ScenarioError, match="covers 2026-11-01T00:00:00 to 2026-11-01T01:00:00 and "
                                            "2026-11-01T02:01:00 to 2026-11-01T04:00:00; .* in one stretch"):
        Scenario.from_yaml_text(text, base_dir=tmp_path)


def _cli_refuses(path, field, *words):
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    lines = [ln for ln in result.output.splitlines() if field in ln]
    assert len(lines) == 1, result.output
    for word in words:
        assert word in lines[0], result.output


def test_cli_refuses_an_oem_short_of_the_run(tmp_path):
    write(tmp_path / "probe.oem", segment(table()))
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.format(epoch="2026-11-01T00:00:00Z", duration="2 d", file="probe.oem"))
    _cli_refuses(path, "satellites[0].file", "the OEM covers", "the run needs")


@pytest.mark.parametrize("content, words", [
    (b"CCSDS_OEM_VERS = 2.0\n\x00\x01\x02 binary", ("NUL bytes",)),
    (b"CCSDS_OEM_VERS = 2.0\nMETA_START\nOBJECT_NAME = X\nMETA_STOP\n", ("not a readable OEM",)),
    (b"<oem><header></header><body><segment></oem>", ("not a readable OEM",)),
    (b"", ("not a readable OEM",)),
])
def test_cli_refuses_an_unreadable_oem(tmp_path, content, words):
    (tmp_path / "bad.oem").write_bytes(content)
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.format(epoch="2026-11-01T00:00:00Z", duration="1 h", file="bad.oem"))
    _cli_refuses(path, "satellites[0].file", *words)


def test_cli_refuses_an_oem_over_the_size_limit(tmp_path, monkeypatch):
    import constellation.orbits.oem as oem_module

    write(tmp_path / "probe.oem", segment(table()))
    monkeypatch.setattr(oem_module, "MAX_OEM_FILE_BYTES", 4096)
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.format(epoch="2026-11-01T00:00:00Z", duration="1 h", file="probe.oem"))
    _cli_refuses(path, "satellites[0].file", "over the", "MiB limit")
