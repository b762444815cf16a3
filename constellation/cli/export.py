"""The ``export`` command: standard files of a finished run for other tools (OEM, CSV, STK, ION, HDTN, GeoJSON)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

OPTIONS = {"format": "--format", "out": "--out", "step": "--step", "frame": "--frame", "satellites": "--satellite",
           "footprint_step": "--footprint-step", "overwrite": "--overwrite"}
"""The command-line option of each argument of ``constellation.export.export``."""


def export_command(
    run_dir: Path = typer.Argument(..., help="Run folder written by `constellation run SCENARIO --out DIR`."),
    formats: List[str] = typer.Option(..., "--format", "-f", help="Format to write (repeat for more, or 'all'): "
                                      "oem, oem-xml, csv, stk, ion, hdtn, geojson."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Folder to write into, one folder per format "
                                       "(default: RUN_DIR-export, beside the run folder)."),
    step: str = typer.Option("60 s", "--step", help="Time between ephemeris states and ground-track points: "
                             "seconds or a duration ('1 min')."),
    frame: str = typer.Option("gcrs", "--frame", help="Frame of the CSV ephemeris: gcrs or itrs (OEM and STK "
                              "files are always GCRF/ICRF)."),
    footprint_step: str = typer.Option("10 min", "--footprint-step", help="Time between GeoJSON footprints."),
    satellites: Optional[List[str]] = typer.Option(None, "--satellite", "-s", help="Export only this satellite or "
                                                   "group (repeat for more; default: all, the relay included)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace export files already there."),
) -> None:
    """Export a run for other tools: CCSDS OEM, CSV and STK ephemerides, ION and HDTN contact plans, GeoJSON."""
    from ..export import ExportError, default_folder, export
    from ..results import RunFolderError
    from .common import console, err_console, fail, plural, step_s

    step_value = step_s(step, "--step")
    footprint_value = step_s(footprint_step, "--footprint-step")
    try:
        done = export(run_dir, formats, out, step=step_value, satellites=satellites or None, frame=frame,
                      footprint_step=footprint_value, overwrite=overwrite)
    except ExportError as exc:
        fail(f"{OPTIONS.get(exc.option, exc.option)}: {exc.message}" if exc.option else exc.message)
    except RunFolderError as exc:
        fail(f"{exc} (make one with: constellation run SCENARIO --out DIR)")
    except OSError as exc:
        fail(f"--out: cannot write the export ({exc})")
    for name, reason in done.skipped.items():
        err_console.print(f"skipped {name}: {reason}", highlight=False, soft_wrap=True, markup=False)
    for name, files in done.files.items():
        where = files[0].parent if files else Path(out or default_folder(run_dir)) / name
        console.print(f"{name}: {plural(len(files), 'file')} in {where}", highlight=False, soft_wrap=True,
                      markup=False)
