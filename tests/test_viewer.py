"""The offline viewer: where CesiumJS is looked for, the local server, ``constellation view``'s failures (exit 2),
and the page itself in headless Chromium (it loads every CZML entity, its clock runs, and it draws a globe)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

pytest.importorskip("czml3", reason="czml3 is not installed: pip install 'czml3>=4,<5'")

from constellation.cli.view import view_command  # noqa: E402
from constellation.runner import run  # noqa: E402
from constellation.scenario import load_scenario  # noqa: E402
from constellation.viz import viewer  # noqa: E402
from constellation.viz.czml import read_czml  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SWARM = ROOT / "scenarios" / "soleimani_swarm.yaml"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--enable-unsafe-swiftshader", "--use-angle=swiftshader",
    # Any name but the loopback address fails to resolve, so the page passes only if it needs no network.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


@pytest.fixture(scope="module")
def swarm_run(tmp_path_factory):
    sc = load_scenario(SWARM)
    return sc, run(sc).save(tmp_path_factory.mktemp("run") / "swarm")


@pytest.fixture
def fake_cesium(tmp_path):
    root = tmp_path / "fake-cesium"
    (root / "Widgets").mkdir(parents=True)
    (root / "Assets" / "Textures" / "NaturalEarthII").mkdir(parents=True)
    (root / "Cesium.js").write_text("window.Cesium = {};\n")
    (root / "Widgets" / "widgets.css").write_text("")
    (root / "Assets" / "Textures" / "NaturalEarthII" / "tilemapresource.xml").write_text("<TileMap/>")
    return root


@pytest.fixture
def no_cesium(tmp_path, monkeypatch):
    monkeypatch.delenv(viewer.CESIUM_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))
    monkeypatch.setattr(viewer, "STATIC", tmp_path / "empty-static")


def _get(url: str) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read(), r.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        return exc.code, b"", ""


def _busy_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    return s, s.getsockname()[1]


def test_missing_cesium_names_the_install_command(no_cesium):
    with pytest.raises(viewer.CesiumMissing) as err:
        viewer.find_cesium()
    assert viewer.INSTALL_COMMAND in str(err.value) and viewer.CESIUM_ENV in str(err.value)


def test_cesium_is_looked_for_in_order(no_cesium, fake_cesium, tmp_path, monkeypatch):
    cached = viewer.default_cesium_dir()
    shutil.copytree(fake_cesium, cached)
    assert viewer.find_cesium() == cached
    monkeypatch.setenv(viewer.CESIUM_ENV, str(fake_cesium))
    assert viewer.find_cesium() == fake_cesium
    monkeypatch.setenv(viewer.CESIUM_ENV, str(tmp_path / "nothing-here"))
    assert viewer.find_cesium() == cached


def test_server_serves_the_site_and_cesium_only(swarm_run, fake_cesium, tmp_path):
    sc, run_dir = swarm_run
    site = viewer.prepare_site(sc, run_dir, tmp_path / "site", step_s=600)
    (tmp_path / "secret.txt").write_text("no")
    server = viewer.make_server(site, fake_cesium, 0)
    thread = threading.Thread(target=viewer.serve, args=(server,), daemon=True)
    thread.start()
    try:
        base = viewer.url_of(server).rsplit("/", 1)[0]
        assert base.startswith("http://127.0.0.1:")
        status, page, kind = _get(base + "/index.html")
        assert status == 200 and b"cesium/Cesium.js" in page and kind.startswith("text/html")
        status, czml, kind = _get(base + "/scene.czml")
        assert status == 200 and kind == "application/json" and czml.startswith(b'[{"id":"document"')
        assert _get(base + "/cesium/Cesium.js")[:2] == (200, b"window.Cesium = {};\n")
        assert _get(base + "/cesium/../secret.txt")[0] == 404
        assert _get(base + "/cesium/%2e%2e/secret.txt")[0] == 404
        assert _get(base + "/../secret.txt")[0] == 404
    finally:
        server.shutdown()
        thread.join(5)


def test_port_in_use_is_reported(fake_cesium, tmp_path):
    sock, port = _busy_port()
    with sock, pytest.raises(viewer.PortInUse, match=f"port {port} .* already in use"):
        viewer.make_server(tmp_path, fake_cesium, port)


# constellation view, registered on an app of its own as cli.py registers it.
_app = typer.Typer()
_app.command("view")(view_command)
_app.command("noop", hidden=True)(lambda: None)


def _view(*args):
    result = CliRunner().invoke(_app, ["view", *map(str, args)])
    return result, result.output + (getattr(result, "stderr", "") or "")


def test_view_without_cesium_fails_with_the_install_command(swarm_run, no_cesium):
    sc, run_dir = swarm_run
    result, text = _view(run_dir, "--scenario", SWARM, "--no-browser")
    assert result.exit_code == 2
    assert "CesiumJS" in text and viewer.INSTALL_COMMAND in " ".join(text.split())
    assert "Traceback" not in text


def test_view_on_a_busy_port_fails(swarm_run, fake_cesium, monkeypatch):
    sc, run_dir = swarm_run
    monkeypatch.setenv(viewer.CESIUM_ENV, str(fake_cesium))
    sock, port = _busy_port()
    with sock:
        result, text = _view(run_dir, "--scenario", SWARM, "--port", port, "--no-browser")
    assert result.exit_code == 2
    assert "already in use" in text and "--port" in text


@pytest.mark.parametrize("args, message", [
    (["{missing}", "--scenario", str(SWARM)], "not a run folder"),
    (["{run}", "--scenario", str(ROOT / "scenarios" / "khayyam.yaml")], "is a run of 'soleimani_swarm'"),
    (["{run}", "--scenario", str(SWARM), "--port", "70000"], "--port"),
    (["{run}", "--scenario", str(SWARM), "--step", "0"], "--step"),
])
def test_view_bad_input_exits_2(swarm_run, fake_cesium, monkeypatch, tmp_path, args, message):
    monkeypatch.setenv(viewer.CESIUM_ENV, str(fake_cesium))
    args = [a.format(missing=tmp_path / "missing", run=swarm_run[1]) for a in args]
    result, text = _view(*args, "--no-browser")
    assert result.exit_code == 2, text
    assert message in " ".join(text.split())


def test_view_serves_the_run(swarm_run, fake_cesium, monkeypatch):
    sc, run_dir = swarm_run
    monkeypatch.setenv(viewer.CESIUM_ENV, str(fake_cesium))
    seen = {}

    def serve_once(server):
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base = viewer.url_of(server).rsplit("/", 1)[0]
        seen["page"] = _get(base + "/index.html")[0]
        seen["czml"] = _get(base + "/scene.czml")[1]
        server.shutdown()
        server.server_close()

    monkeypatch.setattr(viewer, "serve", serve_once)
    result, text = _view(run_dir, "--scenario", SWARM, "--port", 0, "--no-browser", "--step", 300)
    assert result.exit_code == 0, text
    assert "http://127.0.0.1:" in text
    assert seen["page"] == 200
    packets = __import__("json").loads(seen["czml"])
    assert packets[0]["name"] == sc.name and any(p["id"].startswith("link/") for p in packets)


# The page in a real browser: needs Debian's chromium and the local CesiumJS copy.


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.fixture(scope="module")
def browser_page(swarm_run, tmp_path_factory):
    exe = _chromium()
    if exe is None:
        pytest.skip("chromium is not installed: apt-get install -y chromium")
    try:
        cesium = viewer.find_cesium()
    except viewer.CesiumMissing:
        pytest.skip(f"CesiumJS is not installed: {viewer.INSTALL_COMMAND}")
    sc, run_dir = swarm_run
    tmp = tmp_path_factory.mktemp("browser")
    site = viewer.prepare_site(sc, run_dir, tmp / "site")
    server = viewer.make_server(site, cesium, 0)
    thread = threading.Thread(target=viewer.serve, args=(server,), daemon=True)
    thread.start()
    shot = tmp / "shot.png"
    try:
        proc = subprocess.run(
            [exe, *CHROMIUM_FLAGS, f"--user-data-dir={tmp / 'profile'}", "--window-size=800,600",
             "--virtual-time-budget=4000", f"--screenshot={shot}", "--dump-dom", viewer.url_of(server)],
            capture_output=True, text=True, timeout=240, env={**os.environ, "HOME": str(tmp)},
        )
    finally:
        server.shutdown()
        thread.join(5)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return sc, read_czml(site / viewer.CZML_NAME), proc.stdout, shot


def _status(dom: str) -> dict:
    import re

    tag = re.search(r'<div id="status"([^>]*)>', dom)
    assert tag, dom[-2000:]
    return dict(re.findall(r'data-([a-z]+)="([^"]*)"', tag.group(1)))


def test_page_loads_every_entity(browser_page):
    _, packets, dom, _ = browser_page
    status = _status(dom)
    assert status["error"] == "" and status["state"] == "ready", status
    assert int(status["entities"]) == len(packets) - 1  # the document packet is no entity


def test_page_clock_runs_from_the_epoch(browser_page):
    from astropy.time import Time

    sc, _, dom, _ = browser_page
    status = _status(dom)
    assert int(status["ticks"]) > 1
    assert Time(status["start"].rstrip("Z"), scale="utc") == sc.epoch_time
    advanced = (Time(status["time"].rstrip("Z"), scale="utc") - sc.epoch_time).sec
    assert 0 < advanced < sc.duration_s


def test_page_draws_a_globe(browser_page):
    from PIL import Image

    *_, shot = browser_page
    pixels = np.asarray(Image.open(shot).convert("RGB"), dtype=float)
    assert pixels.shape[:2] == (600, 800)
    assert pixels.std() > 20
    middle = pixels[200:400, 300:500]  # the globe fills the middle of the view
    assert middle.std() > 10 and (middle[..., 2] > 60).mean() > 0.3
