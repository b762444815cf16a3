"""Coverage grids and their figures of merit, each check against an independent source.

- One satellite and one cell: the accesses are ``target_windows`` / ``contact_windows`` (validated against skyfield
  in test_targets.py and test_access.py) to the last bit.
- By hand: a geostationary satellite covers the cell below it 100 % of the time and never a cell on the far side;
  an equatorial two-body orbit sees an equatorial cell for 2 lambda / w of every synodic period 2 pi / w, with
  lambda from the plane triangle centre-satellite-cell; figures within 1 ms (the root finder's tolerance is 0.1 ms).
- Satellites in view: a brute-force count of elevations every second on a sample of cells, equal at every sample
  not within 1 ms of an access's edge.
- Chunks and Dask: the same tables to the last bit.
- The grid: the WGS84 ellipsoid's area from GeographicLib (510,065,621.724 km^2, relative 1e-9); a box's area
  from pyproj's geodesic polygon area (GeographicLib) with its parallels densified (relative 1e-6); a cell's area
  within 1 / (2 n) of the equatorial cell's, n the cells in its row (the rounding of n): on the globe at 1 deg,
  1 % below 80 deg of latitude and 6.2 % at the poles.
- Bad input through the command line: exit 2, one line naming the option, no traceback.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from astropy.time import Time
from typer.testing import CliRunner

from constellation import coverage as cv
from constellation.access import Station, Target, contact_windows, target_windows
from constellation.constants import MU_EARTH, OMEGA_EARTH, R_EARTH
from constellation.frames import geodetic_to_itrs, geodetic_up
from constellation.orbits import Fleet, Member, circular, geostationary, walker

EPOCH = Time("2026-03-20T00:00:00", scale="utc")
IRAN = "box:25,44,40,64"


def one_cell(lat: float, lon: float) -> str:
    return f"box:{lat - 0.5},{lon - 0.5},{lat + 0.5},{lon + 0.5}"


@pytest.fixture(scope="module")
def leo():
    return Fleet(EPOCH, [Member("leo", circular(550.0, 53.0, raan=40.0, arg_latitude=30.0))])


# --- one satellite, one point ------------------------------------------------------------------------------------

@pytest.mark.parametrize("sunlit", [False, True])
def test_one_cell_is_target_windows(leo, sunlit):
    res = cv.coverage(leo, one_cell(35.5, 51.5), "1 deg", off_nadir=45, sunlit=sunlit, end="2 d")
    assert len(res.cells) == 1 and (res.cells.loc[0, "lat_deg"], res.cells.loc[0, "lon_deg"]) == (35.5, 51.5)
    ref = target_windows(leo, [Target("p", 35.5, 51.5)], 0.0, 2 * 86400.0, max_off_nadir_deg=45.0,
                         min_sun_elevation_deg=0.0 if sunlit else None)
    assert len(ref) >= 2
    assert np.array_equal(res.accesses["start_s"], ref["start_s"])
    assert np.array_equal(res.accesses["end_s"], ref["end_s"])
    assert list(res.accesses["satellite"]) == list(ref["satellite"])


def test_one_cell_is_contact_windows(leo):
    res = cv.coverage(leo, one_cell(-20.5, 130.5), "1 deg", min_elevation="15 deg", end="1 d")
    ref = contact_windows(leo, [Station("p", -20.5, 130.5, 0.0, 15.0)], 0.0, 86400.0)
    assert len(ref) >= 2
    assert np.array_equal(res.accesses["start_s"], ref["rise_s"])
    assert np.array_equal(res.accesses["end_s"], ref["set_s"])


# --- worked by hand -------------------------------------------------------------------------------------------

def test_geostationary_covers_the_cell_below_it_all_the_time():
    geo = Fleet(EPOCH, [Member("geo", geostationary(50.0, EPOCH))])
    span = 86400.0
    below = cv.coverage(geo, one_cell(0.5, 50.5), 1, min_elevation=10, end=span).cells.iloc[0]
    assert below["percent_covered"] == 100.0 and below["gaps"] == 0 and below["accesses"] == 1
    assert below["revisit_max_s"] == below["response_mean_s"] == below["response_max_s"] == 0.0
    assert below["in_view_mean"] == below["in_view_min"] == below["in_view_max"] == 1
    far = cv.coverage(geo, one_cell(0.5, -129.5), 1, min_elevation=10, end=span).cells.iloc[0]
    assert far["percent_covered"] == 0.0 and far["gaps"] == 1 and far["accesses"] == 0
    assert far["revisit_mean_s"] == far["revisit_max_s"] == far["response_max_s"] == span
    assert far["response_mean_s"] == span / 2.0
    assert far["in_view_mean"] == far["in_view_max"] == 0


def test_equatorial_orbit_over_an_equatorial_cell():
    """Two-body circular orbit in the equator of J2000 (an epoch where the GCRS equator is the Earth's to 1e-4
    rad); the cell starts below the satellite, so the span of three synodic periods has three whole gaps."""
    epoch = Time("2000-01-01T12:00:00", scale="utc")
    alt, eta = 700.0, 30.0
    fleet = Fleet(epoch, [Member("eq", circular(alt, 0.0), model="twobody")])
    r = fleet.states(np.array([0.0]), np.array([0]), frame="itrs")[0][0]
    lon0 = float(np.degrees(np.arctan2(r[1], r[0])))
    a = R_EARTH + alt
    w = np.sqrt(MU_EARTH / a**3) - OMEGA_EARTH
    lam = np.arcsin(a / R_EARTH * np.sin(np.radians(eta))) - np.radians(eta)
    synodic, window = 2 * np.pi / w, 2 * lam / w
    gap = synodic - window
    cell = cv.coverage(fleet, f"box:-0.5,{lon0 - 0.5},0.5,{lon0 + 0.5}", 1, off_nadir=eta,
                       end=3 * synodic).cells.iloc[0]
    assert cell["lat_deg"] == 0.0 and cell["accesses"] == 4 and cell["gaps"] == 3
    assert cell["percent_covered"] == pytest.approx(100 * window / synodic, abs=1e-3 / synodic * 100)
    for col in ("revisit_mean_s", "revisit_max_s", "revisit_p50_s", "revisit_p95_s", "response_max_s"):
        assert cell[col] == pytest.approx(gap, abs=1e-3)
    assert cell["response_mean_s"] == pytest.approx(gap**2 / (2 * synodic), abs=1e-3)
    assert cell["in_view_mean"] == pytest.approx(window / synodic, abs=1e-6)
    assert (cell["in_view_min"], cell["in_view_max"]) == (0, 1)


def test_figures_from_a_hand_made_access_table():
    """Three satellites' accesses on two cells over [0, 100] s, figures worked out on paper."""
    cells = pd.DataFrame({"cell": [7, 9], "area_km2": [1.0, 3.0]})
    acc = pd.DataFrame({"cell": [7, 7, 7, 7], "start_s": [0.0, 10.0, 15.0, 60.0], "end_s": [20.0, 30.0, 25.0, 90.0]})
    fig = cv.cell_figures(acc, cells, 0.0, 100.0, percentiles=(50, 100)).set_index("cell")
    # cell 7: covered [0, 30] and [60, 90]; gaps 30 and 10; two then three in view on [15, 20].
    assert fig.loc[7, "percent_covered"] == 60.0 and fig.loc[7, "gaps"] == 2
    assert fig.loc[7, "revisit_mean_s"] == 20.0 and fig.loc[7, "revisit_max_s"] == 30.0
    assert fig.loc[7, "revisit_p50_s"] == 20.0 and fig.loc[7, "revisit_p100_s"] == 30.0
    assert fig.loc[7, "response_mean_s"] == (30.0**2 + 10.0**2) / 200.0
    assert fig.loc[7, "in_view_mean"] == (20 + 20 + 10 + 30) / 100.0
    assert (fig.loc[7, "in_view_min"], fig.loc[7, "in_view_max"]) == (0, 3)
    assert fig.loc[9, "percent_covered"] == 0.0 and fig.loc[9, "revisit_max_s"] == 100.0
    region = cv.region_figures(fig.reset_index()).iloc[0]
    assert region["cells_covered_pct"] == 50.0 and region["area_covered_pct"] == 25.0
    assert region["time_covered_pct"] == 15.0 and region["revisit_mean_s"] == (20.0 + 3 * 100.0) / 4
    assert region["revisit_max_s"] == 100.0
    series = cv.in_view_series(acc, cells, [0.0, 15.0, 20.0, 30.0, 45.0, 100.0])
    assert list(series["in_view"]) == [1, 3, 3, 1, 0, 0] + [0] * 6


# --- satellites in view against a brute-force count -----------------------------------------------------------

def test_in_view_counted_by_brute_force_every_second():
    fleet = Fleet(EPOCH, [Member(f"s{i:03d}", e) for i, e in enumerate(walker(264, 12, 1, 550.0, 53.0))])
    res = cv.coverage(fleet, "box:20,0,50,40", "10 deg", min_elevation=10, end=3600.0, series_step=1.0)
    cells = res.cells.iloc[[0, 4, 9]]
    t = np.arange(0.0, 3601.0)
    r = fleet.states(t, frame="itrs")[0]
    p = geodetic_to_itrs(cells["lat_deg"].to_numpy(), cells["lon_deg"].to_numpy(), 0.0)
    up = geodetic_up(cells["lat_deg"].to_numpy(), cells["lon_deg"].to_numpy())
    rho = r[None, :, :, :] - p[:, None, None, :]
    sin_el = np.einsum("csti,ci->cst", rho, up) / np.linalg.norm(rho, axis=-1)
    brute = np.sum(sin_el >= np.sin(np.radians(10.0)), axis=1)
    series = res.in_view.set_index(["cell", "t_s"])["in_view"]
    edges = np.concatenate([res.accesses["start_s"], res.accesses["end_s"]])
    near_edge = np.min(np.abs(t[:, None] - edges[None, :]), axis=1) < 1e-3
    assert brute.max() >= 3
    for k, cell in enumerate(cells["cell"]):
        ours = series.loc[cell].to_numpy()
        assert np.array_equal(ours[~near_edge], brute[k][~near_edge])
        row = cells.iloc[k]
        assert (row["in_view_min"], row["in_view_max"]) == (brute[k].min(), brute[k].max())
        n_edges = 2 * int(row["accesses"])
        assert row["in_view_mean"] == pytest.approx(brute[k].mean(), abs=n_edges / len(t))


# --- chunks and Dask ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def swarm_iran():
    return cv.coverage("soleimani_swarm", IRAN, "2 deg", end="6 h", series_step="10 min")


def assert_same(a, b):
    for name in ("cells", "region", "accesses", "in_view"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)


def test_chunked_equals_whole(swarm_iran):
    chunked = cv.coverage("soleimani_swarm", IRAN, "2 deg", end="6 h", series_step="10 min", chunk_cells=7)
    assert swarm_iran.info["chunks"] == 1 and chunked.info["chunks"] == 10
    assert len(swarm_iran.accesses) > 0
    assert_same(swarm_iran, chunked)


def test_dask_equals_in_process(swarm_iran):
    on_dask = cv.coverage("soleimani_swarm", IRAN, "2 deg", end="6 h", series_step="10 min", chunk_cells=30,
                          executor="local", workers=1)
    assert on_dask.info["executor"] == "local" and on_dask.info["chunks"] == 3
    assert_same(swarm_iran, on_dask)


def test_out_folder_holds_the_tables(swarm_iran, tmp_path):
    res = cv.coverage("soleimani_swarm", IRAN, "2 deg", end="6 h", series_step="10 min", chunk_cells=9,
                      out=tmp_path, keep=False)
    assert res.accesses is None and res.in_view is None
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "accesses.parquet"), swarm_iran.accesses)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "in_view.parquet"), swarm_iran.in_view)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "cells.parquet"), swarm_iran.cells)
    assert json.loads((tmp_path / "coverage.json").read_text())["cells"] == len(swarm_iran.cells)


# --- the grid -------------------------------------------------------------------------------------------------

def test_globe_grid_is_equal_area_and_adds_up_to_the_ellipsoid():
    g = cv.grid("globe", "1 deg")
    assert 41_000 < len(g) < 41_600
    assert g["area_km2"].sum() == pytest.approx(510_065_621.724, rel=1e-9)
    ref = cv.zone_area_km2(-0.5, 0.5, 1.0)
    dev = np.abs(g["area_km2"] / ref - 1.0)
    assert dev[np.abs(g["lat_deg"]) < 80].max() < 0.01
    assert dev.max() < 0.062
    assert g["cell"].tolist() == list(range(len(g)))


def test_box_area_matches_geodesic_polygon_area():
    pyproj = pytest.importorskip("pyproj")
    g = cv.grid(IRAN, "0.5 deg")
    lon = np.linspace(44.0, 64.0, 2001)
    ring_lon = np.concatenate([lon, [64.0], lon[::-1], [44.0]])
    ring_lat = np.concatenate([np.full(2001, 25.0), [40.0], np.full(2001, 40.0), [25.0]])
    area, _ = pyproj.Geod(ellps="WGS84").polygon_area_perimeter(ring_lon, ring_lat)
    assert g["area_km2"].sum() == pytest.approx(abs(area) / 1e6, rel=1e-6)
    per_row = g.groupby("lat_min_deg")["cell"].transform("count")
    height = g["lat_max_deg"] - g["lat_min_deg"]
    ref = cv.zone_area_km2(-height / 2, height / 2, 0.5)
    assert (np.abs(g["area_km2"] / ref - 1.0) <= 0.5 / per_row + 1e-12).all()


def test_antimeridian_box_and_polygon_with_hole():
    g = cv.grid("box:-10,170,10,-170", 2)
    assert len(g) == 100 and ((g["lon_deg"] > 170) | (g["lon_deg"] < -170)).all()
    square = [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]
    hole = [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]]
    cells = cv.grid({"type": "Polygon", "coordinates": [square, hole]}, 1)
    assert len(cells) == 96
    assert not ((cells["lat_deg"].between(4, 6)) & (cells["lon_deg"].between(4, 6))).any()


# --- the command line -----------------------------------------------------------------------------------------

def invoke(*args):
    from constellation.cli import app

    result = CliRunner().invoke(app, ["coverage", *map(str, args)], env={"COLUMNS": "200"})
    return result, result.output


def test_cli_prints_the_table_writes_parquet_and_the_map(tmp_path):
    result, text = invoke("soleimani_swarm", "--region", IRAN, "--spacing", "2 deg", "--end", "6 h",
                          "--out", tmp_path / "out", "--plot", "revisit_max_s", "--map", tmp_path / "map.png")
    assert result.exit_code == 0, text
    for words in ("cells covered at least once", "worst revisit", "mean response time", "off-nadir <= 30 deg"):
        assert words in text
    cells = pd.read_parquet(tmp_path / "out" / "cells.parquet")
    assert len(cells) == 68 and (tmp_path / "map.png").stat().st_size > 10_000
    assert len(pd.read_parquet(tmp_path / "out" / "accesses.parquet")) == cells["accesses"].sum()


def write(tmp_path, name, coords, kind="Polygon"):
    path = tmp_path / name
    path.write_text(json.dumps({"type": "Feature", "geometry": {"type": kind, "coordinates": coords}}))
    return path


@pytest.mark.parametrize("case, args, words", [
    ("not closed", ["--region", "OPEN"], "--region: polygon 1, ring 1 (outline) is not closed"),
    ("self-intersecting", ["--region", "BOWTIE"], "--region: polygon 1, ring 1 (outline) crosses itself"),
    ("too few points", ["--region", '{"type":"Polygon","coordinates":[[[1,1],[2,2],[1,1],[1,1]]]}'],
     "has 2 distinct positions; a ring needs at least 3"),
    ("unknown syntax", ["--region", "circle:30,50,100"], "--region: cannot read 'circle:30,50,100' as a region"),
    ("spacing 0", ["--region", IRAN, "--spacing", "0"], "--spacing: must be a finite angle or length above 0"),
    ("spacing NaN", ["--region", IRAN, "--spacing", "nan"], "--spacing: expected a finite angle"),
    ("spacing too fine", ["--region", "globe", "--spacing", "0.00001 deg"], "--spacing: 1e-05 deg over globe gives"),
    ("spacing not an angle", ["--region", IRAN, "--spacing", "5 s"], "--spacing: '5 s' is a time, not an angle"),
    ("both sensors", ["--region", IRAN, "--off-nadir", "30", "--min-elevation", "10"],
     "--off-nadir or --min-elevation: give an off-nadir limit or a minimum elevation, not both"),
    ("off-nadir range", ["--region", IRAN, "--off-nadir", "95 deg"], "--off-nadir: must be in (0, 90) deg"),
    ("unknown figure", ["--region", IRAN, "--plot", "nonsense"], "--plot: no figure 'nonsense' per cell"),
])
def test_cli_bad_input_exits_2_with_one_message(tmp_path, case, args, words):
    paths = {"OPEN": write(tmp_path, "open.geojson", [[[44, 25], [64, 25], [64, 40], [44, 40]]]),
             "BOWTIE": write(tmp_path, "bowtie.geojson", [[[44, 25], [64, 40], [64, 25], [44, 40], [44, 25]]])}
    args = [str(paths.get(a, a)) for a in args]
    result, text = invoke("soleimani_swarm", *args, "--out", tmp_path / "out")
    assert result.exit_code == 2, f"{case}: {text}"
    assert isinstance(result.exception, SystemExit)
    assert words in text, text
    assert "Traceback" not in text and len(text.strip().splitlines()) == 1, text
    assert not (tmp_path / "out" / "cells.parquet").exists()
