"""The link topology: which links exist at any time, what each carries, and routes through them."""

from __future__ import annotations

import math
from dataclasses import dataclass

ISL_POLICIES = ("none", "+grid", "line-of-sight")


@dataclass(frozen=True)
class LinkConfig:
    """Which links exist and what each carries, as a scenario's ``links`` section describes them.

    Link models are objects with ``rate_bps(range_km)`` (see ``constellation.links``). Satellite-station links
    follow the stations' elevation masks; inter-satellite and satellite-relay lines of sight must clear the Earth
    by a grazing altitude. ``feeder_stations`` None means every station that sees the relay.
    """

    downlink: object
    isl_policy: str = "none"
    isl_model: object = None
    isl_grazing_altitude_km: float = 80.0
    isl_max_range_km: float = math.inf
    isl_cross_plane_max_latitude_deg: float | None = None
    relay_model: object = None
    relay_channels: int = 1
    relay_grazing_altitude_km: float = 80.0
    feeder_model: object = None
    feeder_stations: tuple[str, ...] | None = None
    stations_relay: bool = False

    def __post_init__(self):
        if self.isl_policy not in ISL_POLICIES:
            raise ValueError(f"isl policy must be one of {', '.join(ISL_POLICIES)} (got {self.isl_policy!r})")
        if self.isl_policy != "none" and self.isl_model is None:
            raise ValueError("inter-satellite links need a link model")
        if self.isl_grazing_altitude_km < 0 or self.relay_grazing_altitude_km < 0:
            raise ValueError("grazing altitude must be >= 0 km")
        if not self.isl_max_range_km > 0:
            raise ValueError(f"isl max range must be > 0 km (got {self.isl_max_range_km:g})")
        if self.relay_channels < 1:
            raise ValueError(f"relay channels must be >= 1 (got {self.relay_channels})")
