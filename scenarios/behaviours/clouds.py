"""Cloud-aware tasking: a satellite skips a target when the day's cloud cover over it is too thick."""

import zlib

import numpy as np
from pydantic import Field

from constellation.sim import Imaging

DAY_S = 86400.0


def cloud_cover(target: str, day: int, cloud_fraction: float = 0.5, seed: int = 0) -> float:
    """The cloud cover over ``target`` on ``day`` (days since the epoch), from 0 (clear) to 1 (overcast).

    A draw from Beta(c, 1 - c), c = ``cloud_fraction``: its mean is c, and most days are nearly clear or nearly
    overcast, as observed cloud cover is. It depends only on (seed, target, day), so every satellite passing over the
    target that day sees the same sky.
    """
    rng = np.random.default_rng([seed, zlib.crc32(target.encode()), day])
    return float(rng.beta(cloud_fraction, 1.0 - cloud_fraction))


class CloudSkippingImaging(Imaging):
    """Imaging that skips a target whose cloud cover that day is above ``max_cloud``, logging a "skip" event."""

    class Params(Imaging.Params):
        """The payload's parameters, the mean cloud cover, the most cover worth imaging through, and the seed."""

        cloud_fraction: float = Field(0.5, gt=0, lt=1)
        max_cloud: float = Field(0.3, ge=0, le=1)
        seed: int = Field(0, ge=0)

    def wants(self, target: str) -> bool:
        prm = self.params
        cover = cloud_cover(target, int(self.env.now // DAY_S), prm.cloud_fraction, prm.seed)
        if cover > prm.max_cloud:
            self.agent.log("skip", f"{target}: cloud cover {cover:.2f}")
            return False
        return True
