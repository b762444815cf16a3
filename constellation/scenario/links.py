"""Links: the relay satellite, and what each kind of link (downlink, inter-satellite, relay, feeder) carries."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import Discriminator, Field, Tag, ValidationInfo, field_validator, model_validator

from .base import Model
from .units import (BitRate, Db, Dbi, DbPerK, Dbw, Deg, Hertz, Kelvin, Km, Longitude, Meters, Name, Percent,
                    Propagator, RainRate, Watts)

Component = Literal["rain", "gas", "cloud", "scintillation"]

class Relay(Model):
    """A geostationary relay satellite over ``longitude`` (deg east); ``enabled: false`` leaves it out of the run."""

    name: Name = "relay"
    longitude: Longitude
    propagator: Propagator | None = None
    enabled: bool = True


class FixedRateLink(Model):
    """A link that carries the same rate at any range, or up to ``max_range`` (ground links)."""

    rate: BitRate
    max_range: Km | None = Field(None, gt=0)

    def build(self):
        from ..links import link_model_from_dict

        return link_model_from_dict({"kind": "fixed", "rate_bps": self.rate, "range_limit_km": self.max_range})


class AtmosphereSpec(Model):
    """ITU-R attenuation at the station, exceeded ``exceedance`` of an average year (``atmosphere.Atmosphere``).

    ``exceedance`` is a percentage (a bare number is in %): 0.001 % to 5 % with rain (P.618), to 50 % without.
    """

    components: list[Component] = ["rain", "gas", "cloud", "scintillation"]
    exceedance: Percent
    antenna_diameter: Meters = Field(1.0, gt=0)
    antenna_efficiency: float = Field(0.5, gt=0, le=1)
    polarization_tilt: Deg = Field(45.0, ge=-90, le=90)
    rain_rate: RainRate | None = None

    @field_validator("components")
    @classmethod
    def _once_each(cls, value: list[str]) -> list[str]:
        from ..atmosphere import check_components

        check_components(value)
        return value

    @field_validator("exceedance")
    @classmethod
    def _served(cls, value: float, info: ValidationInfo) -> float:
        from ..atmosphere import check_exceedance

        return check_exceedance(value, info.data.get("components") or ["rain"])

    def build(self):
        from ..atmosphere import Atmosphere

        return Atmosphere(self.exceedance, tuple(self.components), self.antenna_diameter, self.antenna_efficiency,
                          self.polarization_tilt, self.rain_rate)


class LinkBudgetSpec(Model):
    """A radio link budget: the rate follows from range, with DVB-S2 steps or the Shannon bound.

    Give the transmitter as ``eirp_dbw`` or ``tx_power`` + ``tx_gain_dbi``, and the receiver as ``g_over_t_dbk`` or
    ``rx_gain_dbi`` + ``system_noise_temperature``. ``atmosphere`` and ``max_range`` are for ground links (downlink,
    feeder): the station's place and mask come from the station.
    """

    frequency: Hertz
    bandwidth: Hertz
    eirp_dbw: Dbw | None = None
    tx_power: Watts | None = None
    tx_gain_dbi: Dbi | None = None
    g_over_t_dbk: DbPerK | None = None
    rx_gain_dbi: Dbi | None = None
    system_noise_temperature: Kelvin | None = None
    losses_db: Db = Field(0.0, ge=0)
    margin_db: Db = Field(0.0, ge=0)
    coding: Literal["dvb-s2", "shannon"] = "dvb-s2"
    rolloff: float = Field(0.2, ge=0, le=1)
    max_rate: BitRate | None = None
    pointing_loss_db: Db = Field(0.0, ge=0)
    polarization_loss_db: Db = Field(0.0, ge=0)
    atmosphere: AtmosphereSpec | None = None
    max_range: Km | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _buildable(self):
        self.build()
        return self

    def build(self):
        from ..links import link_model_from_dict

        spec = {
            "kind": "budget", "frequency_hz": self.frequency, "bandwidth_hz": self.bandwidth,
            "eirp_dbw": self.eirp_dbw, "tx_power_w": self.tx_power, "tx_gain_dbi": self.tx_gain_dbi,
            "g_over_t_dbk": self.g_over_t_dbk, "rx_gain_dbi": self.rx_gain_dbi,
            "system_noise_temperature_k": self.system_noise_temperature, "losses_db": self.losses_db,
            "margin_db": self.margin_db, "coding": self.coding, "rolloff": self.rolloff,
            "max_rate_bps": self.max_rate, "pointing_loss_db": self.pointing_loss_db,
            "polarization_loss_db": self.polarization_loss_db, "range_limit_km": self.max_range,
            "atmosphere": None if self.atmosphere is None else self.atmosphere.build(),
        }
        return link_model_from_dict({k: v for k, v in spec.items() if v is not None})


LINK_TAGS = ("fixed", "budget")
"""The tags pydantic puts in an error's location inside a ``LinkModel``: which of its two forms was tried."""
LINK_SLOTS = ("downlink", "model")
"""The fields that hold a ``LinkModel``."""


def _link_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "fixed" if "rate" in value else "budget"
    return "fixed" if isinstance(value, FixedRateLink) else "budget"


LinkModel = Annotated[
    Union[Annotated[FixedRateLink, Tag("fixed")], Annotated[LinkBudgetSpec, Tag("budget")]],
    Discriminator(_link_kind),
]
"""What a link carries: a ``FixedRateLink`` (a mapping with ``rate``), else a ``LinkBudgetSpec``."""


def _space_link(model, range_field: str | None):
    """``model`` unless it has what only a ground link takes (an atmosphere, a maximum range)."""
    if getattr(model, "atmosphere", None) is not None:
        raise ValueError("atmosphere applies to ground links (downlink, feeder), not between satellites")
    if model.max_range is not None:
        instead = f"; give {range_field} instead" if range_field else ""
        raise ValueError(f"max_range on a link model applies to ground links (downlink, feeder){instead}")
    return model


class IslLinks(Model):
    """Inter-satellite links: ``+grid`` for Walker shells, ``line-of-sight`` for any pair in view, or none."""

    policy: Literal["none", "+grid", "line-of-sight"] = "none"
    grazing_altitude: Km = Field(80.0, ge=0)
    max_range: Km | None = Field(None, gt=0)
    cross_plane_max_latitude: Deg | None = Field(None, ge=0, le=90)
    model: LinkModel = FixedRateLink(rate=1e9)

    @field_validator("model")
    @classmethod
    def _in_space(cls, model):
        return _space_link(model, "isl.max_range")


class RelayLinks(Model):
    """Satellite-to-relay links: line of sight to the relay, and how many satellites it serves at once."""

    channels: int = Field(1, ge=1)
    grazing_altitude: Km = Field(80.0, ge=0)
    model: LinkModel = FixedRateLink(rate=10e6)

    @field_validator("model")
    @classmethod
    def _in_space(cls, model):
        return _space_link(model, None)


class FeederLinks(Model):
    """Relay-to-ground links; ``stations`` limits them to named stations (default: any station in view)."""

    stations: list[Name] | None = None
    model: LinkModel = FixedRateLink(rate=500e6)


class Links(Model):
    """Which links exist and what each carries."""

    downlink: LinkModel = FixedRateLink(rate=100e6)
    isl: IslLinks = Field(default_factory=IslLinks)
    relay: RelayLinks = Field(default_factory=RelayLinks)
    feeder: FeederLinks = Field(default_factory=FeederLinks)
    stations_relay: bool = False
