"""The ``view`` and ``fetch-cesium`` commands: a run on an offline 3D globe in the browser."""

from __future__ import annotations

import math
import tempfile
import webbrowser
from pathlib import Path
from typing import Optional

import typer


def view_command(
    run_dir: Path = typer.Argument(..., help="Run folder written by `constellation run`."),
    scenario: str = typer.Option(..., "--scenario", "-s", help="The scenario file (YAML or Python) of that run."),
    port: int = typer.Option(8765, "--port", help="Port on 127.0.0.1 to serve the page on (0: any free port)."),
    no_browser: bool = typer.Option(False, "--no-browser", help="Print the address only; do not open a browser."),
    step: float = typer.Option(60.0, "--step", help="Seconds between satellite position samples in the CZML."),
    install: bool = typer.Option(False, "--install", help="Install CesiumJS first if it is missing (needs npm)."),
) -> None:
    """Show a run on a 3D globe: satellites and their paths, stations, targets, links while they are up.

    Serves a local page (CesiumJS from its local copy, imagery bundled with it; nothing is downloaded) until Ctrl-C.
    """
    from .common import console, fail, load
    from ..results import Results, RunFolderError
    from ..viz import viewer

    if not 0 <= port <= 65535:
        fail(f"--port: {port} is not a port number (0 to 65535)")
    if not (math.isfinite(step) and step > 0):
        fail(f"--step: must be a number of seconds > 0 (got {step:g})")
    if install:
        fetch_cesium_command(dest=None, force=False)
    try:
        cesium = viewer.find_cesium()
    except viewer.CesiumMissing as exc:
        fail(str(exc))
    try:
        results = Results.load(run_dir)
    except RunFolderError as exc:
        fail(f"RUN_DIR: {exc}")
    sc = load(scenario)
    if results.scenario_name != sc.name or abs(results.duration_s - sc.duration_s) > 1e-6:
        fail(f"{run_dir} is a run of {results.scenario_name!r} over {results.duration_s:g} s, not of {scenario} "
              f"({sc.name!r} over {sc.duration_s:g} s)")
    with tempfile.TemporaryDirectory(prefix="constellation-view-") as site:
        try:
            viewer.prepare_site(sc, results, site, step_s=step)
        except ValueError as exc:
            fail(str(exc))
        try:
            server = viewer.make_server(site, cesium, port)
        except viewer.PortInUse as exc:
            fail(exc.strerror)
        url = viewer.url_of(server)
        console.print(f"showing {run_dir} at {url} (Ctrl-C to stop)", highlight=False, soft_wrap=True)
        if not no_browser:
            webbrowser.open(url)
        viewer.serve(server)


def fetch_cesium_command(
    dest: Optional[Path] = typer.Option(None, "--dest", help="Target folder (default: the user cache, "
                                        "~/.cache/constellation/cesium/VERSION); then set CONSTELLATION_CESIUM_DIR."),
    force: bool = typer.Option(False, "--force", help="Reinstall even if a copy is there."),
) -> None:
    """Install CesiumJS for `constellation view` from its npm package (once; needs npm and the npm registry)."""
    from .common import console, fail
    from ..viz.cesium import CesiumInstallError, fetch
    from ..viz.viewer import default_cesium_dir

    target = (dest or default_cesium_dir()).expanduser().resolve()
    try:
        fetch(target, force=force, say=lambda text: console.print(text, highlight=False, soft_wrap=True))
    except (CesiumInstallError, OSError) as exc:
        fail(f"fetch-cesium: {exc}")
