"""The ``coverage`` command: figures of merit of a region's equal-area grid, printed, written as Parquet, mapped."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

OPTIONS = {
    "region": "--region", "spacing": "--spacing", "off_nadir": "--off-nadir", "min_elevation": "--min-elevation",
    "sensor": "--off-nadir or --min-elevation", "sunlit": "--sunlit or --min-sun-elevation", "start": "--start",
    "end": "--end", "series_step": "--series-step", "satellites": "--satellites", "executor": "--executor",
    "figure": "--plot", "cartopy": "--cartopy",
}
"""The option each argument of ``coverage.coverage`` comes from, to name it in a message."""


def _worded(message: str) -> str:
    """A CoverageError's message with the argument it starts with named as its command-line option."""
    head, sep, rest = message.partition(":")
    return f"{OPTIONS[head]}:{rest}" if sep and head in OPTIONS else message


def coverage_command(
    scenario: str = typer.Argument(..., help="Scenario YAML file, Python scenario script or bundled name."),
    region: str = typer.Option(..., "--region", "-r", help="box:LAT0,LON0,LAT1,LON1 (deg; LON1 < LON0 crosses "
                               "the antimeridian), globe, a GeoJSON file or inline GeoJSON (Polygon, "
                               "MultiPolygon, Feature or FeatureCollection)."),
    spacing: str = typer.Option("1 deg", "--spacing", help="Grid spacing: an angle ('1 deg') or a length along "
                                "the ground ('100 km')."),
    off_nadir: Optional[str] = typer.Option(None, "--off-nadir", help="Sensor: largest off-nadir angle ('30 deg')."),
    min_elevation: Optional[str] = typer.Option(None, "--min-elevation", help="Sensor: least elevation at the "
                                                "cell ('10 deg'). Default: the scenario's imaging payload's "
                                                "off-nadir limit, else its default minimum elevation."),
    sunlit: bool = typer.Option(False, "--sunlit", help="Count only times the Sun is above the cell's horizon."),
    min_sun_elevation: Optional[str] = typer.Option(None, "--min-sun-elevation", help="Count only times the Sun "
                                                    "is at least this high at the cell ('10 deg'); implies "
                                                    "--sunlit."),
    satellites: Optional[str] = typer.Option(None, "--satellites", help="Satellites or groups, comma-separated "
                                             "(default: every satellite, the relay left out)."),
    start: Optional[str] = typer.Option(None, "--start", help="Start of the span: seconds, a duration ('6 h') or "
                                        "an ISO time (default: the scenario's epoch)."),
    end: Optional[str] = typer.Option(None, "--end", help="End of the span (default: the end of the run)."),
    series_step: Optional[str] = typer.Option(None, "--series-step", help="Also write the satellites in view of "
                                              "every cell at this step ('1 min') to in_view.parquet."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Output folder (default: "
                                       "runs/<scenario>-coverage-<UTC time>)."),
    plot: Optional[str] = typer.Option(None, "--plot", help="Figure of merit to map: a column of cells.parquet "
                                       "(percent_covered, revisit_max_s, response_mean_s, in_view_mean...). "
                                       "Default with --map: percent_covered."),
    map_file: Optional[Path] = typer.Option(None, "--map", help="Image of the map, .png or .svg (default with "
                                            "--plot: OUT/FIGURE.png)."),
    cartopy: bool = typer.Option(False, "--cartopy", help="Draw the map with cartopy (if installed)."),
    executor: Optional[str] = typer.Option(None, "--executor", help="inprocess (the default), local (a Dask "
                                           "LocalCluster of --workers processes) or dask (the cluster at "
                                           "--scheduler)."),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", help="Worker processes of a local cluster "
                                          "(default: all cores)."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Address of a running Dask scheduler."),
) -> None:
    """Coverage of a region by a scenario's satellites, from geometry alone: an equal-area grid, its figures of
    merit per cell and over the region."""
    from rich.table import Table

    from .. import coverage as cv
    from ..viz.plots import FORMATS
    from .common import Progress, console, fail, load, new_run_dir

    sc = load(scenario)
    figure = plot or ("percent_covered" if map_file is not None else None)
    if map_file is not None and map_file.suffix.lower() not in FORMATS:
        fail(f"--map: the file name must end in {' or '.join(FORMATS)} (got {map_file.name})")
    if workers is not None and workers < 1:
        fail(f"--workers: at least 1 (got {workers})")
    sun = min_sun_elevation if min_sun_elevation is not None else sunlit
    folder = out or new_run_dir(f"{sc.name}-coverage")
    bar = Progress()
    try:
        reg = cv.parse_region(region, "--region")
        step = cv.spacing_deg(spacing, "--spacing")
        if figure is not None and figure not in cv.figure_names():
            raise cv.CoverageError(f"figure: no figure {figure!r} per cell; one of {', '.join(cv.figure_names())}")
        result = cv.coverage(
            sc, reg, step, off_nadir=off_nadir, min_elevation=min_elevation, sunlit=sun,
            satellites=None if satellites is None else [s.strip() for s in satellites.split(",") if s.strip()],
            start=start, end=end, series_step=series_step, executor=executor, workers=workers,
            scheduler=scheduler, out=folder, keep=False, progress=lambda done, total: bar("cells", done, total),
        )
    except ValueError as exc:
        bar.close()
        fail(_worded(str(exc)))
    bar.close()
    info = result.info
    table = Table(title=f"Coverage of {info['region']} by {sc.name} ({info['satellites']} satellites): "
                        f"{info['sensor_label']}, {info['spacing_deg']:g} deg cells, "
                        f"{info['start_s']:g}-{info['end_s']:g} s")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for name, value in cv.summary_rows(result.region):
        table.add_row(name, value)
    console.print(table)
    written = ["cells.parquet", "region.parquet", "accesses.parquet"] + (
        ["in_view.parquet"] if series_step is not None else [])
    if figure is not None:
        path = map_file or folder / f"{figure}.png"
        try:
            cv.save_map(result.cells, path, figure, cartopy=cartopy,
                        title=f"{figure}: {sc.name} over {info['region']}, {info['sensor_label']}")
        except ValueError as exc:
            fail(_worded(str(exc)))
        written.append(str(path))
    console.print(f"{info['cells']:,} cells in {info['wall_s']:.1f} s; wrote {', '.join(written)} in {folder}",
                  highlight=False)
