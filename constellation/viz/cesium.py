"""Installing CesiumJS for ``constellation view``: its npm package's ``Build/Cesium``, copied into a local folder.

Run once at install or build time (it needs npm and the npm registry); the viewer itself never downloads anything.

    constellation fetch-cesium                  # into ~/.cache/constellation/cesium/<version>
    constellation fetch-cesium --dest DIR       # anywhere; then point CONSTELLATION_CESIUM_DIR at DIR
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from .viewer import CESIUM_VERSION, is_cesium_dir

PREFIX = "package/Build/Cesium/"


class CesiumInstallError(RuntimeError):
    """CesiumJS could not be installed: npm is missing, or its package could not be fetched or used."""


def fetch(dest: Path, version: str = CESIUM_VERSION, npm: str = "npm", force: bool = False, say=print) -> Path:
    """Put ``cesium@version``'s ``Build/Cesium`` at ``dest`` (replaced whole, so a failed run leaves no half copy)."""
    if is_cesium_dir(dest) and not force:
        say(f"CesiumJS is already in {dest}")
        return dest
    if shutil.which(npm) is None:
        raise CesiumInstallError(f"{npm} not found: install Node.js and npm, then run this again")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".cesium-", dir=dest.parent) as tmp:
        out = subprocess.run([npm, "pack", f"cesium@{version}", "--pack-destination", tmp, "--silent"],
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise CesiumInstallError(f"npm pack cesium@{version} failed:\n{out.stderr.strip()}")
        tarball = Path(tmp) / out.stdout.strip().splitlines()[-1]
        staged = Path(tmp) / "Cesium"
        with tarfile.open(tarball) as tar:
            for member in tar.getmembers():
                if not member.name.startswith(PREFIX) or not (member.isfile() or member.isdir()):
                    continue
                rel = Path(member.name[len(PREFIX):])
                if rel.is_absolute() or ".." in rel.parts:
                    continue
                target = staged / rel
                if member.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(member) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst)
        if not is_cesium_dir(staged):
            raise CesiumInstallError(f"cesium@{version} has no usable Build/Cesium")
        if dest.exists():
            shutil.rmtree(dest)
        staged.rename(dest)
    say(f"installed CesiumJS {version} in {dest}")
    return dest
