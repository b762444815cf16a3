"""Write the land mask behind the ground-track map: land or sea every 0.5 deg, bit-packed (32 KB).

The mask is sampled from the `global-land-mask` package (NOAA's 1-km GLOBE land mask) at the cell centres; run
this once after `pip install global-land-mask` to regenerate `constellation/viz/static/land_mask_0.5deg.npy`.
"""

from pathlib import Path

import numpy as np
from global_land_mask import globe

STEP = 0.5
OUT = Path(__file__).resolve().parent.parent / "constellation" / "viz" / "static" / "land_mask_0.5deg.npy"


def main() -> None:
    lat = np.arange(-90 + STEP / 2, 90, STEP)
    lon = np.arange(-180 + STEP / 2, 180, STEP)
    lon_grid, lat_grid = np.meshgrid(lon, lat)
    land = globe.is_land(lat_grid, lon_grid)
    np.save(OUT, np.packbits(land, axis=1))
    print(f"wrote {OUT}: {land.shape[0]} x {land.shape[1]} cells, {land.mean():.1%} land")


if __name__ == "__main__":
    main()
