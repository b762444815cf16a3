"""The mission: what the satellites do (imaging, messaging), their power and storage, downlink sharing and faults."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .base import Model
from .behaviours import MAX_BEHAVIOURS, BehaviourSpec
from .units import BitRate, Bits, Deg, Elevation, Energy, Km, Latitude, Longitude, Name, PerHour, Power, Seconds

MAX_PRIORITY = 1_000_000
"""Highest priority a target or message may have (priorities are compared, never summed)."""

MIN_FAULT_INTERVAL_S = 1.0
"""Shortest mean time between failures or to repair, s: faster faults are noise, not outages."""

MAX_MESSAGE_RATE_PER_H = 3600.0
"""Most messages a terminal may send per hour on average (one a second)."""


class TargetSpec(Model):
    """A point to image; higher ``priority`` goes first when the downlink is shared."""

    name: Name
    latitude: Latitude
    longitude: Longitude
    priority: int = Field(1, ge=0, le=MAX_PRIORITY)


class RegionSpec(Model):
    """A latitude-longitude box sampled into targets about ``spacing`` km apart."""

    name: Name
    lat_min: Latitude
    lat_max: Latitude
    lon_min: Longitude
    lon_max: Longitude
    spacing: Km = Field(100.0, ge=1.0, description="Distance between sampled targets, km (at least 1 km).")
    priority: int = Field(1, ge=0, le=MAX_PRIORITY)

    @model_validator(mode="after")
    def _ordered(self):
        if self.lat_max < self.lat_min:
            raise ValueError(f"lat_max ({self.lat_max:g}) is below lat_min ({self.lat_min:g})")
        if self.lon_max < self.lon_min:
            raise ValueError(f"lon_max ({self.lon_max:g}) is below lon_min ({self.lon_min:g})")
        return self


class Imaging(Model):
    """An Earth-observation payload: images targets inside its field of regard when they are sunlit."""

    satellites: list[Name] | None = None
    max_off_nadir: Deg = Field(30.0, gt=0, lt=90)
    min_sun_elevation: Deg | None = Field(10.0, ge=-90, le=90)
    image_size: Bits = 1.2e10
    capture_time: Seconds = Field(10.0, gt=0)
    power: Power = Field(40.0, description="Payload power while capturing, W.")
    targets: list[TargetSpec] = Field(default_factory=list)
    regions: list[RegionSpec] = Field(default_factory=list)


class Terminal(Model):
    """A ground terminal that sends messages up to passing satellites."""

    name: Name
    latitude: Latitude
    longitude: Longitude


class Messaging(Model):
    """Store-and-forward messaging: terminals generate messages (Poisson) that satellites collect in view."""

    satellites: list[Name] | None = None
    terminals: list[Terminal] = Field(default_factory=list)
    rate: PerHour = Field(6.0, le=MAX_MESSAGE_RATE_PER_H)
    message_size: Bits = 2048.0
    uplink_rate: BitRate = Field(9600.0, description="Terminal-to-satellite rate, bit/s (narrowband, as in "
                                 "store-and-forward messaging payloads).")
    min_elevation: Elevation = 10.0
    priority: int = Field(2, ge=0, le=MAX_PRIORITY)


class PowerSpec(Model):
    """Each satellite's battery, solar array and loads."""

    battery: Energy = 100.0
    initial_charge: float = Field(0.9, ge=0, le=1)
    solar_power: Power = Field(60.0, description="Array output in sunlight, W.")
    bus_load: Power = Field(15.0, description="Always-on load, W.")
    min_charge: float = Field(0.3, ge=0, lt=1, description="Below this fraction, activities are refused.")


class DownlinkSpec(Model):
    """How stations share their antennas and what transmitting costs."""

    policy: Literal["fifo", "priority", "highest_elevation", "max_weight"] = Field(
        "fifo", description="How stations choose among the satellites in view: first come (fifo), the satellite "
        "with the highest-priority product, the highest pass, or max_weight: a network-wide assignment of satellites "
        "to antennas at every change of the passes in view (see the station scheduler behaviours).")
    antennas: int = Field(1, ge=1)
    transmitter_power: Power = Field(20.0, description="Transmitter power while sending, W.")


class ScheduledFault(Model):
    """A node (satellite, relay or station) or a link between two nodes out of service from ``start`` to ``end``."""

    node: Name | None = None
    link: list[Name] | None = Field(None, min_length=2, max_length=2)
    start: Seconds = Field(ge=0)
    end: Seconds = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self):
        if (self.node is None) == (self.link is None):
            raise ValueError("give exactly one of node (a satellite, relay or station) or link ([a, b])")
        if self.end <= self.start:
            raise ValueError(f"end ({self.end:g} s) must come after start ({self.start:g} s)")
        return self


class RandomFaults(Model):
    """Random outages of each named node: exponential times between failures and to repair (seeded)."""

    nodes: list[Name] = Field(min_length=1)
    mtbf: Seconds = Field(ge=MIN_FAULT_INTERVAL_S)
    mttr: Seconds = Field(ge=MIN_FAULT_INTERVAL_S)


class Mission(Model):
    """What the satellites do: payloads, storage, power, downlink sharing and faults."""

    seed: int = Field(0, ge=0, le=2**63 - 1)
    storage: Bits = 5.12e11
    power: PowerSpec = Field(default_factory=PowerSpec)
    imaging: Imaging | None = None
    messaging: Messaging | None = None
    downlink: DownlinkSpec = Field(default_factory=DownlinkSpec)
    faults: list[ScheduledFault] = Field(default_factory=list)
    random_faults: list[RandomFaults] = Field(default_factory=list)
    behaviours: list[BehaviourSpec] = Field(default_factory=list, max_length=MAX_BEHAVIOURS)

    @model_validator(mode="after")
    def _unique_names(self):
        for field, items in (("imaging.targets", self.imaging.targets if self.imaging else []),
                             ("imaging.regions", self.imaging.regions if self.imaging else []),
                             ("messaging.terminals", self.messaging.terminals if self.messaging else [])):
            seen: set[str] = set()
            for item in items:
                if item.name in seen:
                    raise ValueError(f"{field}: the name {item.name!r} is used twice; names must be unique")
                seen.add(item.name)
        return self
