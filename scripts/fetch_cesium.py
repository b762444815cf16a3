"""Install CesiumJS for ``constellation view``: its npm package's ``Build/Cesium``, copied into a local folder.

Run once at install or build time (it needs npm and the npm registry); the viewer itself never downloads anything.

    python scripts/fetch_cesium.py                 # into ~/.cache/constellation/cesium/<version>
    python scripts/fetch_cesium.py --dest DIR      # anywhere; then point CONSTELLATION_CESIUM_DIR at DIR
    python scripts/fetch_cesium.py --in-package    # into constellation/viz/static/cesium (editable installs)
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from constellation.viz.viewer import CESIUM_VERSION, STATIC, default_cesium_dir, is_cesium_dir

PREFIX = "package/Build/Cesium/"


def fetch(dest: Path, version: str = CESIUM_VERSION, npm: str = "npm", force: bool = False) -> Path:
    """Put ``cesium@version``'s ``Build/Cesium`` at ``dest`` (replaced whole, so a failed run leaves no half copy)."""
    if is_cesium_dir(dest) and not force:
        print(f"CesiumJS is already in {dest}")
        return dest
    if shutil.which(npm) is None:
        sys.exit(f"error: {npm} not found: install Node.js and npm, then run this again")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".cesium-", dir=dest.parent) as tmp:
        out = subprocess.run([npm, "pack", f"cesium@{version}", "--pack-destination", tmp, "--silent"],
                             capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(f"error: npm pack cesium@{version} failed:\n{out.stderr.strip()}")
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
            sys.exit(f"error: cesium@{version} has no usable Build/Cesium")
        if dest.exists():
            shutil.rmtree(dest)
        staged.rename(dest)
    print(f"installed CesiumJS {version} in {dest}")
    return dest


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--dest", type=Path, help=f"target folder (default: {default_cesium_dir()})")
    where.add_argument("--in-package", action="store_true", help=f"install into {STATIC / 'cesium'}")
    parser.add_argument("--force", action="store_true", help="reinstall even if a copy is there")
    args = parser.parse_args(argv)
    dest = STATIC / "cesium" if args.in_package else args.dest or default_cesium_dir()
    fetch(dest.expanduser().resolve(), force=args.force)


if __name__ == "__main__":
    main()
