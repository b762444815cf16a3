"""Exports of a finished run, each read back by a reader that is not the writer: the ``oem`` package for CCSDS OEM,
and parsers written here from the published formats for STK, ION, HDTN and GeoJSON. The expected states come from
the scenario file itself (``load_scenario(...).fleet().ephemeris``), not from the run's stored scenario."""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import constellation
from constellation.constants import C_KM_S
from constellation.export import FORMATS, ExportError, export, register_format
from constellation.results import Results, RunFolderError
from constellation.scenario import Scenario, load_scenario

# A small run that has every kind of link: four Walker satellites with an imager, a sun-synchronous satellite
# (its footprints cover the poles), the ISS from a TLE (an international designator, a name that is not a file
# name), a geostationary relay, and three stations, one with a 5 deg mask. Three hours.
SCENARIO = """\
name: export_demo
epoch: 2018-07-04T00:00:00Z
duration: 3 h
defaults:
  min_elevation: 10 deg
satellites:
  - name: ring
    orbit: walker
    total: 4
    planes: 2
    phasing: 1
    altitude: 550 km
    inclination: 53 deg
  - name: polar
    orbit: sun_synchronous
    altitude: 530 km
    ltan: "10:30"
  - name: iss
    orbit: tle
    lines: |
      ISS (ZARYA)
      1 25544U 98067A   18184.80969102  .00001614  00000-0  31745-4 0  9993
      2 25544  51.6414 295.8524 0003435 262.6267 204.2868 15.54005638121106
relay:
  name: relay-53e
  longitude: 53 deg
ground_stations:
  - {name: mahdasht, latitude: 35.73 deg, longitude: 50.83 deg, height: 1200 m}
  - {name: svalbard, latitude: 78.23 deg, longitude: 15.39 deg, height: 450 m, min_elevation: 5 deg}
  - {name: fairbanks, latitude: 64.86 deg, longitude: -147.85 deg, height: 140 m}
links:
  downlink: {rate: 100 Mbit/s}
  isl: {policy: line-of-sight, max_range: 5000 km, model: {rate: 1 Gbit/s}}
  relay: {channels: 2, model: {rate: 2 Mbit/s}}
  feeder: {stations: [mahdasht], model: {rate: 50 Mbit/s}}
mission:
  imaging:
    satellites: [ring]
    max_off_nadir: 30 deg
    targets:
      - {name: tehran, latitude: 35.69 deg, longitude: 51.39 deg}
"""
SATELLITES = ["ring-01-01", "ring-01-02", "ring-02-01", "ring-02-02", "polar", "ISS (ZARYA)", "relay-53e"]
STEM = {"ISS (ZARYA)": "ISS__ZARYA_"}
MM_KM = 1e-6


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("scenario") / "export_demo.yaml"
    path.write_text(SCENARIO)
    return path


@pytest.fixture(scope="module")
def run_dir(scenario_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "demo"
    constellation.run(scenario_file).save(out)
    return out


@pytest.fixture(scope="module")
def exported(run_dir):
    return export(run_dir, "all")


@pytest.fixture(scope="module")
def truth(scenario_file):
    """The fleet of the scenario file and its states every 60 s over the run, end included."""
    sc = load_scenario(scenario_file)
    fleet = sc.fleet()
    t = np.arange(0.0, sc.duration_s + 1.0, 60.0)
    return sc, fleet, t, fleet.ephemeris(t)


def _copy_run(run_dir, tmp_path, name="copy"):
    out = tmp_path / name
    shutil.copytree(run_dir, out, ignore=shutil.ignore_patterns("export"))
    return out


# --- the run folder keeps its scenario -------------------------------------------------------------------------

def test_the_run_folder_keeps_its_scenario_and_it_round_trips(run_dir, scenario_file):
    stored = json.loads((run_dir / "scenario.json").read_text())
    assert Results.load(run_dir).scenario == stored
    again = Scenario.model_validate(stored)
    original = load_scenario(scenario_file)
    assert again.model_dump(mode="json") == original.model_dump(mode="json")
    # TLE text is kept in the folder, so the run does not depend on a TLE file that may change or move.
    tle = next(e for e in stored["satellites"] if e["orbit"] == "tle")
    assert "25544" in tle["lines"] and tle["file"] is None


def test_an_older_run_without_scenario_json_still_loads(run_dir, tmp_path):
    old = _copy_run(run_dir, tmp_path)
    (old / "scenario.json").unlink()
    back = Results.load(old)
    assert back.scenario is None and len(back.contacts) > 0
    # Saving a run without a scenario over one with it leaves no stale scenario.json behind.
    back.save(old, overwrite=True)
    assert not (old / "scenario.json").exists()


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", "\udcff"])
def test_a_damaged_scenario_json_is_a_run_folder_error_naming_it(run_dir, tmp_path, text):
    bad = _copy_run(run_dir, tmp_path)
    (bad / "scenario.json").write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(RunFolderError, match=r"scenario\.json is damaged"):
        Results.load(bad)


def test_a_scenario_json_that_is_no_scenario_is_refused_at_export(run_dir, tmp_path):
    bad = _copy_run(run_dir, tmp_path)
    (bad / "scenario.json").write_text(json.dumps({"name": "x", "epoch": "2018-07-04T00:00:00Z"}))
    with pytest.raises(RunFolderError, match=r"scenario\.json is not a valid scenario"):
        export(bad, "oem")


# --- CCSDS OEM, read back by the oem package ------------------------------------------------------------------

def _oem_states(message):
    states = list(message.states)
    epochs = [s.epoch for s in states]
    return epochs, np.array([s.position for s in states]), np.array([s.velocity for s in states])


@pytest.mark.parametrize("fmt, suffix", [("oem", ".oem"), ("oem-xml", ".xml")])
def test_oem_read_back_by_the_oem_package_matches_the_fleet(exported, truth, fmt, suffix):
    from oem import OrbitEphemerisMessage

    sc, fleet, t, eph = truth
    assert sorted(p.name for p in exported.files[fmt]) == sorted(STEM.get(n, n) + suffix for n in SATELLITES)
    for s, name in enumerate(fleet.names):
        path = next(p for p in exported.files[fmt] if p.name == STEM.get(name, name) + suffix)
        message = OrbitEphemerisMessage.open(path)
        assert message.version == "3.0"
        (segment,) = message.segments
        meta = segment.metadata
        assert meta["OBJECT_NAME"] == name
        assert meta["OBJECT_ID"] == ("1998-067A" if name == "ISS (ZARYA)" else name)
        assert (meta["CENTER_NAME"], meta["REF_FRAME"], meta["TIME_SYSTEM"]) == ("EARTH", "GCRF", "UTC")
        assert meta["INTERPOLATION"] == "HERMITE" and meta["INTERPOLATION_DEGREE"] % 2 == 1
        epochs, r, v = _oem_states(message)
        # Epochs: the run's start plus t, written to the microsecond.
        elapsed = np.array([(e - fleet.epoch).sec for e in epochs])
        np.testing.assert_allclose(elapsed, t, rtol=0, atol=1e-6)
        # States: the scenario's own propagation; 1 mm and 1 um/s (the file keeps 15 significant digits).
        assert np.abs(r - eph.r_gcrs[s]).max() < MM_KM
        assert np.abs(v - eph.v_gcrs[s]).max() < 1e-9


def test_oem_interpolation_degree_keeps_the_oem_reader_within_a_millimetre(exported, truth):
    """Between states, the oem package's own Hermite interpolation at the declared degree agrees with the propagator
    to 1 mm: the tolerance the degree is chosen for (``hermite_points``). Not for the ISS: SGP4's velocity is not
    the derivative of its position (8 mm/s apart here, checked against the sgp4 package alone), and a Hermite
    interpolation follows the velocities, so between states 60 s apart it is within 1 m, not 1 mm."""
    import astropy.units as u
    from oem import OrbitEphemerisMessage
    from sgp4.api import Satrec

    sc, fleet, t, _ = truth
    tle = fleet.members[fleet.index("ISS (ZARYA)")].orbit
    sat, jd = Satrec.twoline2rv(tle.line1, tle.line2), fleet.epoch.utc.jd
    fine = np.arange(0.0, 600.0, 0.5)
    _, r, v = sat.sgp4_array(np.full(len(fine), jd), fine / 86400.0)
    assert 5e-6 < np.abs(v[1:-1] - (r[2:] - r[:-2])).max() < 2e-5
    middles = t[:-1][::7] + 30.0
    between = fleet.ephemeris(middles)
    for s, name in enumerate(fleet.names):
        message = OrbitEphemerisMessage.open(next(p for p in exported.files["oem"]
                                                  if p.name == STEM.get(name, name) + ".oem"))
        r = np.array([message(fleet.epoch + m * u.s).position for m in middles])
        tolerance = 1e-3 if name == "ISS (ZARYA)" else MM_KM
        assert np.linalg.norm(r - between.r_gcrs[s], axis=1).max() < tolerance, name


def test_oem_frame_is_gcrs_by_astropys_transformation(exported, run_dir, tmp_path, truth):
    """astropy turns the OEM's GCRF positions of the ISS into ITRS; they match the ITRS CSV to 50 m, the agreement
    of constellation.frames with astropy (tests/test_frames.py), far below the 7 km the frame's rotation moves the
    satellite in one second of Earth rotation error."""
    import astropy.units as u
    from astropy.coordinates import GCRS, ITRS, CartesianRepresentation
    from oem import OrbitEphemerisMessage

    done = export(run_dir, "csv", tmp_path / "itrs", frame="itrs", satellites=["ISS (ZARYA)"])
    table = pd.read_csv(done.files["csv"][0])
    assert set(table["satellite"]) == {"ISS (ZARYA)"}
    epochs, r, _ = _oem_states(OrbitEphemerisMessage.open(
        next(p for p in exported.files["oem"] if p.name == "ISS__ZARYA_.oem")))
    times = truth[1].epoch + np.array([(e - truth[1].epoch).sec for e in epochs]) * u.s
    gcrs = GCRS(CartesianRepresentation(r.T * u.km), obstime=times)
    itrs = gcrs.transform_to(ITRS(obstime=times)).cartesian.xyz.to_value(u.km).T
    ours = table[["x_km", "y_km", "z_km"]].to_numpy()
    assert np.linalg.norm(itrs - ours, axis=1).max() < 0.05


# --- CSV, read back by pandas ---------------------------------------------------------------------------------

def test_csv_holds_every_satellite_at_every_step(exported, truth):
    sc, fleet, t, eph = truth
    (path,) = exported.files["csv"]
    assert path.name == "ephemeris-gcrs.csv"
    table = pd.read_csv(path)
    assert list(table.columns) == ["satellite", "utc", "t_s", "x_km", "y_km", "z_km", "vx_km_s", "vy_km_s",
                                   "vz_km_s"]
    assert len(table) == len(SATELLITES) * len(t)
    # utc and t_s say the same instant (to the microsecond): the UTC ISO time of the epoch plus t_s.
    start = pd.Timestamp(fleet.epoch.utc.isot)
    utc = pd.to_datetime(table["utc"].str.rstrip("Z"))
    assert np.abs((utc - start).dt.total_seconds() - table["t_s"]).max() < 1e-6
    for s, name in enumerate(fleet.names):
        rows = table[table["satellite"] == name]
        np.testing.assert_allclose(rows["t_s"], t, atol=1e-9)
        # Full double precision in the file: 1 mm and 1 um/s against the scenario's propagation.
        assert np.abs(rows[["x_km", "y_km", "z_km"]].to_numpy() - eph.r_gcrs[s]).max() < MM_KM
        assert np.abs(rows[["vx_km_s", "vy_km_s", "vz_km_s"]].to_numpy() - eph.v_gcrs[s]).max() < 1e-9


# --- STK, parsed from the documented format -------------------------------------------------------------------

def parse_stk(text: str) -> dict:
    """An STK .e file: 'stk.v.M.m', then between 'BEGIN Ephemeris' and 'END Ephemeris' keyword-value lines and, after
    'EphemerisTimePosVel', rows of time x y z vx vy vz (help.agi.com/stk, Ephemeris File Format (*.e))."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    assert re.fullmatch(r"stk\.v\.\d+\.\d+", lines[0]), lines[0]
    assert lines[1] == "BEGIN Ephemeris" and lines[-1] == "END Ephemeris"
    keys, rows, in_data = {}, [], False
    for line in lines[2:-1]:
        if in_data:
            rows.append([float(x) for x in line.split()])
        elif line == "EphemerisTimePosVel":
            in_data = True
        else:
            key, value = line.split(None, 1)
            keys[key] = value
    data = np.array(rows)
    assert data.shape[1] == 7
    return {"keys": keys, "data": data}


def test_stk_files_follow_the_documented_format_and_match_the_fleet(exported, truth):
    sc, fleet, t, eph = truth
    assert sorted(p.name for p in exported.files["stk"]) == sorted(STEM.get(n, n) + ".e" for n in SATELLITES)
    for s, name in enumerate(fleet.names):
        parsed = parse_stk(next(p for p in exported.files["stk"] if p.name == STEM.get(name, name) + ".e").read_text())
        keys, data = parsed["keys"], parsed["data"]
        assert int(keys["NumberOfEphemerisPoints"]) == len(data) == len(t)
        assert datetime.strptime(keys["ScenarioEpoch"], "%d %b %Y %H:%M:%S.%f") == datetime(2018, 7, 4)
        assert (keys["CentralBody"], keys["CoordinateSystem"], keys["DistanceUnit"]) == ("Earth", "ICRF",
                                                                                          "Kilometers")
        assert keys["InterpolationMethod"] == "Hermite" and int(keys["InterpolationSamplesM1"]) >= 1
        np.testing.assert_allclose(data[:, 0], t, atol=1e-9)
        assert np.abs(data[:, 1:4] - eph.r_gcrs[s]).max() < MM_KM
        assert np.abs(data[:, 4:7] - eph.v_gcrs[s]).max() < 1e-9


# --- ION, parsed from ionrc(5) --------------------------------------------------------------------------------

ION_COMMAND = re.compile(r"a (contact|range) \+(\d+) \+(\d+) (\d+) (\d+) (\d+)")


def parse_ionrc(text: str) -> dict:
    """ionadmin commands as ionrc(5) documents them: '#' comment lines; 'a contact +START +STOP FROM TO RATE' (RATE
    in bytes/s) and 'a range +START +STOP FROM TO OWLT' (OWLT in light seconds), times relative (+seconds)."""
    contacts, ranges, comments = [], [], []
    for line in text.splitlines():
        if not line.strip():
            continue
        if line.startswith("#"):
            comments.append(line[1:].strip())
            continue
        match = ION_COMMAND.fullmatch(line)
        assert match, f"not an ionrc contact or range command: {line!r}"
        kind, *numbers = match.groups()
        (contacts if kind == "contact" else ranges).append(tuple(int(x) for x in numbers))
    return {"contacts": contacts, "ranges": ranges, "comments": comments}


def _node_positions(sc, fleet, names, times):
    """ITRS positions (km) of a named node at ``times``: a fleet member from the fleet, a station from astropy's
    EarthLocation (WGS84)."""
    import astropy.units as u
    from astropy.coordinates import EarthLocation

    stations = {g.name: g for g in sc.ground_stations}
    out = []
    for name in names:
        if name in stations:
            g = stations[name]
            loc = EarthLocation.from_geodetic(g.longitude * u.deg, g.latitude * u.deg, g.height * u.m)
            out.append(np.tile(np.array([loc.x.to_value(u.km), loc.y.to_value(u.km), loc.z.to_value(u.km)]),
                               (len(times), 1)))
        else:
            out.append(fleet.positions_itrs(times, np.full(len(times), fleet.index(name))))
    return out


def test_ion_plan_follows_ionrc_and_light_time(exported, truth, run_dir):
    sc, fleet, _, _ = truth
    folder = exported.files["ion"][0].parent
    plan = parse_ionrc((folder / "contact-plan.ionrc").read_text())
    nodes = json.loads((folder / "nodes.json").read_text())["nodes"]
    # The node table is in the comments too, and every number is a positive integer.
    for name, number in nodes.items():
        assert number >= 1 and f"{number} {name}" in plan["comments"]
    name_of = {n: k for k, n in nodes.items()}
    assert len(plan["contacts"]) == len(plan["ranges"]) > 0
    duration = sc.duration_s
    by_pair = {}
    for (start, end, a, b, rate), (r_start, r_end, ra, rb, owlt) in zip(plan["contacts"], plan["ranges"]):
        assert 0 <= start < end <= duration and rate > 0
        assert (r_start, r_end, ra, rb) == (start, end, a, b)
        by_pair.setdefault((a, b), []).append((start, end))
        # Light time from the geometry at 9 instants of the contact: the whole-second OWLT is never below it
        # (nothing faster than light) and at most one second above it (rounding up).
        times = np.linspace(start, end, 9)
        pa, pb = _node_positions(sc, fleet, [name_of[a], name_of[b]], times)
        light = np.linalg.norm(pa - pb, axis=1) / C_KM_S
        assert (owlt >= light).all() and (owlt - light < 1.0 + 1e-9).all()
    # Scheduled contacts of a pair never overlap (ionrc(5): intervals may not overlap).
    for spans in by_pair.values():
        spans.sort()
        assert all(e0 <= s1 for (_, e0), (s1, _) in zip(spans, spans[1:]))
    # Data flows as the mission simulation sends it: ISLs both ways, downlinks satellite to station only.
    links = Results.load(run_dir).links
    kinds = {(nodes[a], nodes[b]): k for a, b, k in zip(links["a"], links["b"], links["kind"])}
    for (a, b) in by_pair:
        kind = kinds.get((a, b)) or kinds.get((b, a))
        if kind == "isl":
            assert (b, a) in by_pair
        else:
            assert (a, b) in kinds, f"{name_of[a]} -> {name_of[b]} against the direction of a {kind} link"
    # Rates: the link plan's rate at its farthest range, in bytes per second.
    downlinks = [c for c in plan["contacts"] if kinds.get((c[2], c[3])) == "downlink"]
    assert downlinks and all(c[4] == 100e6 // 8 for c in downlinks)


# --- HDTN, JSON with the keys of HDTN's contact plans ---------------------------------------------------------

def test_hdtn_plan_has_hdtns_keys_and_the_ion_plans_contacts(exported):
    folder = exported.files["hdtn"][0].parent
    plan = json.loads((folder / "contact-plan.json").read_text())
    assert set(plan) == {"contacts"}
    keys = {"contact", "source", "dest", "startTime", "endTime", "rateBitsPerSec", "owlt"}
    numbers = set(json.loads((folder / "nodes.json").read_text())["nodes"].values())
    for c in plan["contacts"]:
        assert set(c) == keys and all(type(c[k]) is int for k in keys)
        assert c["startTime"] < c["endTime"] and c["rateBitsPerSec"] > 0 and c["owlt"] >= 1
        assert {c["source"], c["dest"]} <= numbers and c["source"] != c["dest"]
    assert [c["contact"] for c in plan["contacts"]] == list(range(1, len(plan["contacts"]) + 1))
    ion = parse_ionrc((exported.files["ion"][0].parent / "contact-plan.ionrc").read_text())
    same = [(c["startTime"], c["endTime"], c["source"], c["dest"], c["rateBitsPerSec"] // 8) for c in plan["contacts"]]
    assert same == ion["contacts"]


# --- GeoJSON, checked against RFC 7946 ------------------------------------------------------------------------

def _positions_of(geometry):
    """Every line or ring of a geometry, and whether it is a polygon ring."""
    kind, coords = geometry["type"], geometry["coordinates"]
    if kind == "Point":
        return [([coords], False)]
    if kind == "LineString":
        return [(coords, False)]
    if kind == "MultiLineString":
        return [(line, False) for line in coords]
    if kind == "Polygon":
        return [(ring, True) for ring in coords]
    if kind == "MultiPolygon":
        return [(ring, True) for polygon in coords for ring in polygon]
    raise AssertionError(f"unexpected geometry type {kind}")


def check_rfc7946(collection: dict) -> None:
    """RFC 7946: a FeatureCollection of Features with a geometry and properties; positions [lon, lat] in WGS84
    degrees (lon in [-180, 180], lat in [-90, 90]); lines of two positions or more; polygon rings closed, of four
    positions or more, exterior counterclockwise (3.1.6, 'should'); nothing drawn across the antimeridian (3.1.9)."""
    assert collection["type"] == "FeatureCollection" and isinstance(collection["features"], list)
    for feature in collection["features"]:
        assert feature["type"] == "Feature" and isinstance(feature["properties"], dict)
        for positions, ring in _positions_of(feature["geometry"]):
            for p in positions:
                assert len(p) == 2 and all(isinstance(x, float) for x in p), p
                assert -180.0 <= p[0] <= 180.0 and -90.0 <= p[1] <= 90.0, p
            if feature["geometry"]["type"] == "Point":
                continue
            assert len(positions) >= (4 if ring else 2)
            lon = np.array([p[0] for p in positions])
            assert (np.abs(np.diff(lon)) <= 180.0).all(), "a segment jumps across the antimeridian"
            if ring:
                assert positions[0] == positions[-1], "ring not closed"
                x, y = np.array(positions).T
                assert np.sum(x[:-1] * y[1:] - x[1:] * y[:-1]) > 0, "exterior ring not counterclockwise"


def _unit(lat, lon):
    lat, lon = np.radians(lat), np.radians(lon)
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=-1)


def test_geojson_is_rfc7946_with_tracks_stations_and_footprints(exported, truth):
    from constellation.constants import R_EARTH

    sc, fleet, t, eph = truth
    (path,) = exported.files["geojson"]
    collection = json.loads(path.read_text())
    check_rfc7946(collection)
    features = collection["features"]
    tracks = [f for f in features if f["properties"]["kind"] == "ground_track"]
    assert sorted(f["properties"]["satellite"] for f in tracks) == sorted(SATELLITES)
    # Low orbits cross the antimeridian in three hours: their tracks are cut there, each cut ending on one side at
    # the latitude the next part starts at on the other.
    cut = [f for f in tracks if f["geometry"]["type"] == "MultiLineString"]
    assert cut
    for f in cut:
        parts = f["geometry"]["coordinates"]
        for a, b in zip(parts, parts[1:]):
            assert abs(a[-1][0]) == 180.0 and b[0][0] == -a[-1][0] and b[0][1] == a[-1][1]
    # The track's points are the geodetic sub-satellite points every 60 s (to 1e-6 deg, the file's rounding).
    lat, lon, _ = eph.geodetic()
    iss = next(f for f in tracks if f["properties"]["satellite"] == "ISS (ZARYA)")
    points = np.array([p for part in iss["geometry"]["coordinates"] for p in part if abs(p[0]) != 180.0])
    k = fleet.index("ISS (ZARYA)")
    assert len(points) == len(t)
    assert np.abs(points[:, 1] - lat[k]).max() <= 1e-6 and np.abs(points[:, 0] - lon[k]).max() <= 1e-6
    stations = {f["properties"]["name"]: f for f in features if f["properties"]["kind"] == "ground_station"}
    assert set(stations) == {"mahdasht", "svalbard", "fairbanks"}
    assert stations["svalbard"]["geometry"]["coordinates"] == [15.39, 78.23]
    assert stations["svalbard"]["properties"]["min_elevation_deg"] == 5.0
    footprints = [f for f in features if f["properties"]["kind"] == "footprint"]
    # Every 10 min over 3 h, the end included: 19 instants per satellite.
    assert len(footprints) == 19 * len(SATELLITES)
    for f in footprints:
        p = f["properties"]
        if p["satellite"].startswith("ring-"):
            assert p["footprint"] == "field_of_regard" and p["max_off_nadir_deg"] == 30.0
        else:
            assert p["footprint"] == "visibility" and p["min_elevation_deg"] == 5.0
    assert any(-90.0 in [q[1] for q in ring] or 90.0 in [q[1] for q in ring]
               for f in footprints if f["properties"]["satellite"] == "polar"
               for ring, _ in _positions_of(f["geometry"])), "no footprint over a pole"


def test_footprint_outlines_see_the_satellite_at_the_mask_or_the_off_nadir_limit(exported, truth):
    """From each outline vertex (not on a cut) of a few footprints, on the sphere of the Earth's equatorial radius:
    a visibility outline sees the satellite at the mask's elevation, a field-of-regard outline is seen at the
    imager's off-nadir limit. Tolerance 0.01 deg: the sub-satellite point in the file is rounded to 1e-6 deg, and
    the outline vertices too."""
    from constellation.constants import R_EARTH

    sc, fleet, _, _ = truth
    collection = json.loads(exported.files["geojson"][0].read_text())
    chosen = [f for f in collection["features"] if f["properties"]["kind"] == "footprint"][::5]
    times = np.array(sorted({f["properties"]["t_s"] for f in chosen}))
    eph = fleet.ephemeris(times)
    lat, lon, _ = eph.geodetic()
    for f in chosen:
        p = f["properties"]
        s, k = fleet.index(p["satellite"]), int(np.searchsorted(times, p["t_s"]))
        sat = eph.r_itrs[s, k]
        direction = _unit(lat[s, k], lon[s, k]) * np.linalg.norm(sat)
        for ring, _ in _positions_of(f["geometry"]):
            for x, y in ring:
                if abs(x) == 180.0 or abs(y) == 90.0:
                    continue
                ground = _unit(y, x) * R_EARTH
                sight = direction - ground
                if p["footprint"] == "visibility":
                    elevation = np.degrees(np.arcsin(sight @ ground / np.linalg.norm(sight) / R_EARTH))
                    assert abs(elevation - p["min_elevation_deg"]) < 0.01
                else:
                    off_nadir = np.degrees(np.arccos(sight @ direction / np.linalg.norm(sight)
                                                     / np.linalg.norm(direction)))
                    assert abs(off_nadir - p["max_off_nadir_deg"]) < 0.01


# --- the Python API -------------------------------------------------------------------------------------------

def test_a_user_format_registers_and_runs_like_the_built_in_ones(run_dir, tmp_path):
    def write_names(run, folder):
        """The names of the chosen satellites."""
        folder.write_text("names.txt", "\n".join(run.satellites or []) + "\n")

    try:
        register_format("names", write_names, needs=())
        assert FORMATS["names"].description == "The names of the chosen satellites."
        done = export(run_dir, ["names"], tmp_path / "out", satellites=["ring"])
        assert list(done.files) == ["names"]
        assert (tmp_path / "out" / "names" / "names.txt").read_text().split() == [
            "ring-01-01", "ring-01-02", "ring-02-01", "ring-02-02"]
        with pytest.raises(ValueError, match="lower-case"):
            register_format("Names", write_names)
    finally:
        FORMATS.pop("names", None)


def test_existing_files_are_kept_unless_overwrite(run_dir, tmp_path):
    out = tmp_path / "out"
    export(run_dir, "csv", out)
    before = (out / "csv" / "ephemeris-gcrs.csv").read_text()
    with pytest.raises(ExportError, match="already holds files"):
        export(run_dir, "csv", out, step=120.0)
    assert (out / "csv" / "ephemeris-gcrs.csv").read_text() == before
    export(run_dir, "csv", out, step=120.0, overwrite=True)
    assert len(pd.read_csv(out / "csv" / "ephemeris-gcrs.csv")) == len(SATELLITES) * 91


def test_an_interrupted_export_leaves_only_whole_files(run_dir, tmp_path, monkeypatch):
    from oem import OrbitEphemerisMessage

    real = OrbitEphemerisMessage.save_as
    calls = []

    def interrupted(self, path, *args, **kwargs):
        calls.append(path)
        if len(calls) == 3:
            with open(path, "w") as handle:
                handle.write("CCSDS_OEM_VERS = 3.0\n")
            raise KeyboardInterrupt
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(OrbitEphemerisMessage, "save_as", interrupted)
    with pytest.raises(KeyboardInterrupt):
        export(run_dir, "oem", tmp_path / "out")
    left = sorted(p.name for p in (tmp_path / "out" / "oem").iterdir())
    assert left == ["ring-01-01.oem", "ring-01-02.oem"]
    for name in left:
        assert len(list(OrbitEphemerisMessage.open(tmp_path / "out" / "oem" / name).states)) == 181


def test_a_run_without_its_scenario_still_gives_contact_plans(run_dir, tmp_path):
    old = _copy_run(run_dir, tmp_path)
    (old / "scenario.json").unlink()
    with pytest.raises(ExportError, match="no scenario.json"):
        export(old, "oem")
    done = export(old, "all")
    assert set(done.files) == {"ion", "hdtn"} and set(done.skipped) == {"oem", "oem-xml", "csv", "stk", "geojson"}
    nodes = json.loads((old.with_name(old.name + "-export") / "ion" / "nodes.json").read_text())["nodes"]
    assert list(nodes) == sorted(nodes) and list(nodes.values()) == list(range(1, len(nodes) + 1))


# --- the command line -----------------------------------------------------------------------------------------

def invoke(*args):
    from constellation.cli import app

    result = CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})
    return result, result.output


def test_cli_export_writes_the_formats_asked_for(run_dir, tmp_path):
    result, text = invoke("export", run_dir, "-f", "oem", "-f", "ion", "--out", tmp_path / "x", "--step", "2 min",
                          "--satellite", "polar", "--satellite", "relay-53e")
    assert result.exit_code == 0, text
    assert sorted(p.name for p in (tmp_path / "x" / "oem").iterdir()) == ["polar.oem", "relay-53e.oem"]
    assert "oem: 2 files" in text and "ion: 2 files" in text
    ion = parse_ionrc((tmp_path / "x" / "ion" / "contact-plan.ionrc").read_text())
    assert ion["contacts"] and all(5 in c[2:4] or 7 in c[2:4] for c in ion["contacts"])


@pytest.fixture(scope="module")
def odd_runs(run_dir, tmp_path_factory):
    """A run without links, and one whose summary.json is damaged."""
    base = tmp_path_factory.mktemp("odd")
    results = Results.load(run_dir)
    results.links = None
    results.save(base / "no-links")
    damaged = base / "damaged"
    shutil.copytree(run_dir, damaged, ignore=shutil.ignore_patterns("export"))
    (damaged / "summary.json").write_text("{not json")
    return base


@pytest.mark.parametrize(
    "args, message",
    [
        (["{run}", "-f", "oen"], "--format: unknown format 'oen'; the formats are: oem, oem-xml, csv, stk, ion, "
                                 "hdtn, geojson (or all); did you mean oem"),
        (["{tmp}", "-f", "oem"], "is not a run folder"),
        (["{odd}/damaged", "-f", "oem"], "summary.json is damaged"),
        (["{odd}/no-links", "-f", "ion"], "--format: ion: the run has no link windows (its links table is missing)"),
        (["{odd}/no-links", "-f", "hdtn"], "--format: hdtn: the run has no link windows"),
        (["{run}", "-f", "oem", "--step", "0"], "--step: expected a finite duration > 0"),
        (["{run}", "-f", "oem", "--step", "-5 s"], "--step: expected a finite duration > 0"),
        (["{run}", "-f", "oem", "--step", "nan"], "--step: expected a finite duration > 0"),
        (["{run}", "-f", "oem", "--step", "1 km"], "--step: '1 km' is a length, not a duration"),
        (["{run}", "-f", "oem", "--step", "1e-5"], "--step: 1e-05 s is below the shortest step, 0.001 s"),
        (["{run}", "-f", "csv", "--step", "0.002"], "--step: 0.002 s over 10800 s for 7 satellites would make "
                                                    "more than 10,000,000 states: choose a step of at least"),
        (["{run}", "-f", "geojson", "--footprint-step", "0.1"], "--footprint-step: 0.1 s over 10800 s for 7 "
                                                               "satellites would make more than 100,000 footprints"),
        (["{run}", "-f", "oem", "--satellite", "rng"], "--satellite: no satellite or group named 'rng'; did you "
                                                       "mean ring?"),
        (["{run}", "-f", "csv", "--frame", "teme"], "--frame: 'teme' is not a frame; choose gcrs or itrs"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line_naming_the_problem(args, message, run_dir, odd_runs, tmp_path):
    fill = {"run": run_dir, "tmp": tmp_path, "odd": odd_runs}
    result, text = invoke("export", *[a.format(**fill) for a in args], "--out", tmp_path / "out")
    assert result.exit_code == 2, text
    assert message in " ".join(text.split())
    assert "Traceback" not in text and len(text.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_cli_refuses_to_overwrite_without_overwrite(run_dir, tmp_path):
    assert invoke("export", run_dir, "-f", "hdtn", "--out", tmp_path)[0].exit_code == 0
    result, text = invoke("export", run_dir, "-f", "hdtn", "--out", tmp_path)
    assert result.exit_code == 2 and "--out:" in text and "already holds files" in text and "--overwrite" in text
    result, text = invoke("export", run_dir, "-f", "hdtn", "--out", tmp_path, "--overwrite")
    assert result.exit_code == 0, text
    assert json.loads((tmp_path / "hdtn" / "contact-plan.json").read_text())["contacts"]
