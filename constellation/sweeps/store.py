"""The resumable on-disk store of a sweep: its manifest, one file per finished run, and the results table.

A folder holds ``sweep.json`` (the base scenario, its hash, the parameter space and the list of runs),
``runs/KEY.json`` for each finished run, written as it comes in, and ``results.parquet`` at the end. Every file is
written to a temporary name and then renamed, so none is ever half written and a killed sweep loses nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pandas as pd

from .errors import SweepError
from .plan import Plan, canonical_json
from .table import finite, parquet_safe

__all__ = ["FORMAT", "MANIFEST_FILE", "RESULTS_FILE", "RUNS_DIR", "Store", "read_manifest", "read_records"]

MANIFEST_FILE = "sweep.json"
"""The sweep's manifest: base scenario, its hash, parameter space and runs."""
RESULTS_FILE = "results.parquet"
"""The results table, written when the sweep ends."""
RUNS_DIR = "runs"
"""The folder of finished runs, one ``KEY.json`` each."""
FORMAT = 1
"""Version of the folder's layout, recorded in its manifest; a folder in another one is refused."""


class Store:
    """A sweep's output folder: ``sweep.json``, one ``runs/KEY.json`` per finished run, ``results.parquet``."""

    def __init__(self, out: Path, plan: Plan):
        self.out, self.runs_dir = out, out / RUNS_DIR
        self.manifest = {
            "format": FORMAT,
            "scenario_name": plan.base.name,
            "scenario_sha256": hashlib.sha256(canonical_json(plan.base_data).encode()).hexdigest(),
            "space": json.loads(json.dumps(plan.space)),
            "runs": [{"key": r.key, "params": r.params, "seed": r.seed} for r in plan.runs],
            "scenario": plan.base_data,
        }

    def existing(self) -> dict:
        """The finished runs already in the folder; a SweepError if it holds something else."""
        out = self.out
        if out.exists() and not out.is_dir():
            raise SweepError(f"out: {out} exists and is not a folder")
        found = read_manifest(out)
        if found is None:
            if out.is_dir() and any(out.iterdir()):
                raise SweepError(f"out: {out} is not empty and holds no {MANIFEST_FILE}, so it is not a sweep "
                                 "folder; give a new or empty folder")
            return {}
        if found.get("format") != FORMAT:
            raise SweepError(f"out: {out} holds a sweep in another format ({found.get('format')!r}); use a new folder")
        if found.get("scenario_sha256") != self.manifest["scenario_sha256"]:
            raise SweepError(f"out: {out} holds a sweep of a different base scenario "
                             f"({found.get('scenario_name')!r}, hash {str(found.get('scenario_sha256'))[:12]}, "
                             f"not {self.manifest['scenario_sha256'][:12]}); give another folder, nothing was "
                             "written")
        if found.get("space") != self.manifest["space"]:
            diff = [k for k in self.manifest["space"] if found["space"].get(k) != self.manifest["space"][k]]
            raise SweepError(f"out: {out} holds a sweep over a different parameter space (its "
                             + "; ".join(f"{k}: {found['space'].get(k)!r}" for k in diff)
                             + "; this sweep's " + "; ".join(f"{k}: {self.manifest['space'][k]!r}" for k in diff)
                             + "); give another folder, nothing was written")
        keys = {r["key"] for r in self.manifest["runs"]}
        return {k: r for k, r in read_records(self.runs_dir).items() if k in keys}

    def create(self) -> None:
        """Make the folder and write its manifest, unless it is there already."""
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        if not (self.out / MANIFEST_FILE).exists():
            _atomic_text(self.out / MANIFEST_FILE, json.dumps(self.manifest, indent=1) + "\n")

    def write(self, record: dict) -> None:
        """Keep one finished run's record, as ``runs/KEY.json``."""
        _atomic_text(self.runs_dir / f"{record['key']}.json", json.dumps(finite(record), indent=1) + "\n")

    def write_table(self, table: pd.DataFrame) -> None:
        """Write the results table to ``results.parquet``."""
        path = self.out / RESULTS_FILE
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            parquet_safe(table).to_parquet(tmp, index=False)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)


def read_manifest(out: Path) -> dict | None:
    """The manifest of the sweep in folder ``out``, or None if it has none; a ``SweepError`` if it is unreadable."""
    path = out / MANIFEST_FILE
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise SweepError(f"out: cannot read {path}: {exc}") from None


def read_records(runs_dir: Path) -> dict:
    """The run records in ``runs_dir`` by key, skipping any file that is not one."""
    records = {}
    if not runs_dir.is_dir():
        return records
    for path in runs_dir.glob("*.json"):
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(record, dict) and record.get("key") == path.stem:
            records[path.stem] = record
    return records


def _atomic_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
