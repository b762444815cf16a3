"""An offline 3D viewer: a local web page that shows a run's CZML with a local copy of CesiumJS.

Nothing is fetched when the viewer runs. CesiumJS (its npm package's ``Build/Cesium``) is installed beforehand by
``constellation fetch-cesium``; the globe's imagery is the Natural Earth II set bundled with it, and no
Cesium Ion service or token is used.
"""

from __future__ import annotations

import errno
import functools
import os
import shutil
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

CESIUM_VERSION = "1.145.0"
CESIUM_ENV = "CONSTELLATION_CESIUM_DIR"
INSTALL_COMMAND = "constellation fetch-cesium"
STATIC = Path(__file__).resolve().parent / "static"
PAGE = STATIC / "index.html"
CZML_NAME = "scene.czml"


class CesiumMissing(FileNotFoundError):
    """No local copy of CesiumJS was found where the viewer looks."""


class PortInUse(OSError):
    """The port asked for is taken on 127.0.0.1."""


def cache_home() -> Path:
    """The user's cache folder for this package: ``$XDG_CACHE_HOME/constellation`` or ``~/.cache/constellation``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "constellation"


def default_cesium_dir(version: str = CESIUM_VERSION) -> Path:
    """Where ``constellation fetch-cesium`` puts CesiumJS by default: ``<cache_home>/cesium/<version>``."""
    return cache_home() / "cesium" / version


def is_cesium_dir(path) -> bool:
    """Whether ``path`` holds a CesiumJS build (``Cesium.js``, its widgets and the bundled imagery)."""
    p = Path(path)
    return ((p / "Cesium.js").is_file() and (p / "Widgets" / "widgets.css").is_file()
            and (p / "Assets" / "Textures" / "NaturalEarthII" / "tilemapresource.xml").is_file())


def cesium_candidates() -> list[Path]:
    """The folders searched for CesiumJS, in order: ``$CONSTELLATION_CESIUM_DIR``, ``constellation/viz/static/cesium``,
    then ``default_cesium_dir()``."""
    out = []
    if os.environ.get(CESIUM_ENV):
        out.append(Path(os.environ[CESIUM_ENV]).expanduser())
    out += [STATIC / "cesium", default_cesium_dir()]
    return out


def find_cesium() -> Path:
    """The first folder of ``cesium_candidates()`` that holds CesiumJS; ``CesiumMissing`` names the install command."""
    for path in cesium_candidates():
        if is_cesium_dir(path):
            return path
    looked = ", ".join(str(p) for p in cesium_candidates())
    raise CesiumMissing(
        f"CesiumJS {CESIUM_VERSION} is not installed (looked in {looked}). Install it once, with npm, by running "
        f"`{INSTALL_COMMAND}` from the repository, or set {CESIUM_ENV} to a folder holding CesiumJS's Build/Cesium."
    )


def prepare_site(scenario, run_dir_or_results, site_dir, step_s: float = 60.0) -> Path:
    """Write the viewer page and the run's CZML into ``site_dir``; returns ``site_dir``."""
    from .czml import write_czml

    site = Path(site_dir)
    site.mkdir(parents=True, exist_ok=True)
    write_czml(scenario, run_dir_or_results, site / CZML_NAME, step_s=step_s)
    shutil.copyfile(PAGE, site / "index.html")
    return site


class _Handler(SimpleHTTPRequestHandler):
    """Serves the site folder, and ``/cesium/...`` from the CesiumJS folder; logs nothing."""

    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".czml": "application/json",
                      ".wasm": "application/wasm", ".js": "text/javascript", ".json": "application/json"}

    def __init__(self, *args, cesium_dir: str, **kwargs):
        self.cesium_dir = cesium_dir
        super().__init__(*args, **kwargs)

    def translate_path(self, path: str) -> str:
        parts = unquote(urlsplit(path).path).split("/")
        if len(parts) > 1 and parts[1] == "cesium":
            rest = [p for p in parts[2:] if p not in ("", ".", "..")]
            return os.path.join(self.cesium_dir, *rest)
        return super().translate_path(path)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, format, *args) -> None:  # noqa: A002 (the base class's name)
        pass


def make_server(site_dir, cesium_dir, port: int = 0) -> ThreadingHTTPServer:
    """An HTTP server on 127.0.0.1:``port`` (0: any free port) for the site and CesiumJS; raises ``PortInUse``."""
    handler = functools.partial(_Handler, directory=str(site_dir), cesium_dir=str(cesium_dir))
    try:
        return ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(errno.EADDRINUSE, f"port {port} on 127.0.0.1 is already in use; choose another with "
                            f"--port (or --port 0 for any free port)") from exc
        raise


def url_of(server: ThreadingHTTPServer) -> str:
    """The page's address on a server from ``make_server``."""
    host, port = server.server_address[:2]
    return f"http://{host}:{port}/index.html"


def serve(server: ThreadingHTTPServer) -> None:
    """Serve until interrupted (Ctrl-C), then close the socket."""
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
