"""Standard exports of a finished run, for other tools.

CCSDS OEM (KVN and XML), CSV and STK ephemerides, ION and HDTN contact plans, GeoJSON ground tracks, stations and
footprints.

``export(run, fmt, out)`` writes each format into its own folder, ``out/FORMAT/``. ``FORMATS`` holds every format by
name; ``register_format`` adds one (the built-in formats are registered the same way).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .base import (
    FORMATS,
    MAX_FOOTPRINTS,
    MAX_STATES,
    MIN_STEP_S,
    ExportError,
    ExportRun,
    Folder,
    Format,
    file_stems,
    register_format,
    sample_times,
)
from . import ccsds, table, stk, dtn, geojson  # noqa: E402,F401  (registers the built-in formats, in this order)

__all__ = [
    "FORMATS", "MAX_FOOTPRINTS", "MAX_STATES", "MIN_STEP_S", "ExportError", "ExportRun", "Exported", "Folder",
    "Format", "default_folder", "export", "file_stems", "register_format", "sample_times",
]

FRAMES = ("gcrs", "itrs")
"""Frames of the CSV ephemeris: GCRS (inertial, as the OEM's GCRF) or ITRS (Earth-fixed)."""


@dataclass
class Exported:
    """What ``export`` wrote: the files of each format, and the formats ``all`` left out with the reason."""

    files: dict[str, list[Path]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


def default_folder(run_dir) -> Path:
    """Where a run's exports go by default: a folder beside it, ``RUN-export`` (a run folder holds only the run, so
    that saving the run again cannot meet files it did not write)."""
    run = Path(run_dir)
    return run.with_name(f"{run.resolve().name}-export")


def export(run, fmt="all", out=None, *, step=60.0, satellites=None, frame: str = "gcrs", footprint_step=600.0,
           overwrite: bool = False) -> Exported:
    """Write the formats ``fmt`` (a name, a list of names, or 'all') of ``run`` (a run folder or ``Results``) into
    ``out/FORMAT/`` (default: ``RUN-export`` beside the run folder).

    ``step`` (seconds, or a duration such as '1 min') spaces the ephemeris states over the whole run;
    ``footprint_step`` spaces the GeoJSON footprints; ``frame`` ('gcrs' or 'itrs') is the CSV's frame;
    ``satellites`` names satellites or groups to export (default: all, the relay included). Every argument is
    checked before anything is written: an ``ExportError`` names the one at fault, a ``RunFolderError`` a run that
    cannot be read. Existing files are replaced only with ``overwrite``; each file appears whole or not at all.
    With 'all', formats the run cannot feed (no scenario.json, no link windows) are left out and listed in
    ``Exported.skipped``.
    """
    from ..results import Results

    if isinstance(run, Results):
        results, source = run, "the run"
        if out is None:
            raise ExportError("give the folder to write to when exporting Results that are not in a run folder")
    else:
        results, source = Results.load(run), str(run)
        out = default_folder(run) if out is None else out
    names, explicit = _formats(fmt)
    ctx = ExportRun(results, source, step_s=_duration(step, "step"), frame=_frame(frame),
                    footprint_step_s=_duration(footprint_step, "footprint_step"))
    done = Exported()
    chosen = []
    for name in names:
        missing = _missing(results, FORMATS[name].needs)
        if missing is None:
            chosen.append(name)
        elif explicit:
            raise ExportError(f"{name}: {missing}", "format")
        else:
            done.skipped[name] = missing
    if not chosen:
        raise ExportError("the run can feed none of the formats: " + "; ".join(f"{k}: {v}" for k, v in
                                                                               done.skipped.items()), "format")
    if satellites is not None:
        ctx.satellites = _satellites(ctx, satellites, any("scenario" in FORMATS[n].needs for n in chosen))
    for name in chosen:
        if FORMATS[name].check is not None:
            FORMATS[name].check(ctx)
    out = Path(out).expanduser()
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out} exists and is not a folder", "out")
    if not overwrite:
        for name in chosen:
            present = sorted(p.name for p in (out / name).iterdir()) if (out / name).is_dir() else []
            if present:
                shown = ", ".join(present[:3]) + (", ..." if len(present) > 3 else "")
                raise ExportError(f"{out / name} already holds files ({shown}): choose another folder, or overwrite "
                                  "them (--overwrite; overwrite=True in Python)", "out")
    for name in chosen:
        folder = Folder(out / name, overwrite=overwrite)
        FORMATS[name](ctx, folder)
        done.files[name] = folder.files
    return done


def _formats(fmt) -> tuple[list[str], bool]:
    """The format names asked for, in registry order for 'all', and whether they were named one by one."""
    from ..scenario.base import did_you_mean

    asked = [fmt] if isinstance(fmt, str) else list(fmt)
    if not asked:
        raise ExportError(f"give at least one format (or 'all'); the formats are: {', '.join(FORMATS)}", "format")
    if "all" in asked:
        return list(FORMATS), False
    out = []
    for name in asked:
        if name not in FORMATS:
            raise ExportError(f"unknown format {name!r}; the formats are: {', '.join(FORMATS)} (or all)"
                              f"{did_you_mean(name, FORMATS)}", "format")
        if name not in out:
            out.append(name)
    return out, True


def _duration(value, option: str) -> float:
    from ..scenario import to_duration

    try:
        seconds = to_duration(value, name=option)
    except ValueError as exc:
        raise ExportError(str(exc).removeprefix(f"{option}: "), option) from None
    if seconds < MIN_STEP_S:
        raise ExportError(f"{seconds:g} s is below the shortest step, {MIN_STEP_S:g} s (times are written to the "
                          "microsecond)", option)
    return seconds


def _frame(frame: str) -> str:
    if frame not in FRAMES:
        raise ExportError(f"{frame!r} is not a frame; choose {' or '.join(FRAMES)}", "frame")
    return frame


def _missing(results, needs) -> str | None:
    """Why the run cannot feed a format that needs ``needs``, or None when it can."""
    if "scenario" in needs and results.scenario is None:
        return "the run has no scenario.json (it was saved before runs kept their scenario): run the scenario again"
    if "links" in needs and (results.links is None or len(results.links) == 0):
        return "the run has no link windows (its links table is " + \
            ("missing)" if results.links is None else "empty)")
    return None


def _satellites(ctx: ExportRun, asked, with_scenario: bool) -> list[str]:
    """Member names for the satellites and groups ``asked``, in fleet order; unknown names are an ExportError."""
    from ..scenario.base import did_you_mean

    asked = [asked] if isinstance(asked, str) else list(asked)
    if not asked:
        raise ExportError("give at least one satellite or group name", "satellites")
    if with_scenario or ctx.results.scenario is not None:
        members = [(m.name, m.group) for m in ctx.full_fleet.members]
    else:
        stations = set(ctx.results.stations["station"]) if "station" in ctx.results.stations else set()
        links = ctx.results.links
        nodes = dict.fromkeys(list(links["a"]) + list(links["b"]))
        members = [(n, n) for n in nodes if n not in stations]
    known = {n for pair in members for n in pair}
    for name in asked:
        if name not in known:
            raise ExportError(f"no satellite or group named {name!r}{did_you_mean(name, known)}", "satellites")
    wanted = set(asked)
    return [n for n, group in members if n in wanted or group in wanted]
