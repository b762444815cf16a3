"""The ``forces`` block of numerically propagated satellites: zonal harmonics, drag, radiation pressure, Sun and Moon.

A block on an entry applies to its satellites; the block in ``defaults`` fills in every key an entry's block leaves
out (``drag`` and ``srp`` key by key), so the density model can be set once and each entry give its own mass and area.
``drag: false`` (or ``srp: false``) turns a default off for one entry.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from .base import Model, invalid
from .units import BallisticCoefficient, ExosphericTemperature, Kilograms, SquareMeters

DEFAULT_CD = 2.2
"""Drag coefficient when none is given: the usual value for a compact satellite in free-molecular flow."""

DEFAULT_CR = 1.3
"""Radiation pressure coefficient when none is given (1: all absorbed, 2: all reflected back)."""

DEFAULT_EXOSPHERIC_K = 1000.0
"""Exospheric temperature of the Jacchia 1977 atmosphere when none is given: moderate solar activity."""


def _switch(value: Any) -> Any:
    """``false`` turns the block off and ``true`` asks for it with every default."""
    if value is False:
        return {"model": "none"}
    if value is True:
        return {}
    return value


class Drag(Model):
    """Atmospheric drag: a density model and the satellite's ``ballistic_coefficient`` (m / (Cd A)), or its ``mass``,
    ``area`` (facing the flow) and ``cd`` (default 2.2)."""

    model: Literal["exponential", "coesa76", "jacchia77", "none"] | None = Field(
        None, description="Density model (default coesa76): boinor's exponential atmosphere (from sea level, far "
        "too thin above ~150 km), the U.S. Standard Atmosphere 1976, or Jacchia 1977 at exospheric_temperature; "
        "none turns drag off.")
    ballistic_coefficient: BallisticCoefficient | None = None
    mass: Kilograms | None = None
    area: SquareMeters | None = None
    cd: float | None = Field(None, gt=0, le=10)
    exospheric_temperature: ExosphericTemperature | None = Field(
        None, description="Jacchia 1977 only: the solar activity (about 700 K at solar minimum, 1000 K moderate, "
        "1400 K and more at maximum; default 1000 K).")

    @model_validator(mode="after")
    def _one_way(self):
        if self.ballistic_coefficient is not None:
            given = [k for k in ("mass", "area", "cd") if getattr(self, k) is not None]
            if given:
                raise invalid("Drag", [(("ballistic_coefficient",), "give the ballistic coefficient or mass, area "
                                        f"and cd, not both (also given: {', '.join(given)})", None, {})])
        return self


class RadiationPressure(Model):
    """Solar radiation pressure on a cannonball: the satellite's ``mass``, ``area`` (facing the Sun) and ``cr``
    (default 1.3), with the Earth's cylindrical shadow."""

    model: Literal["cannonball", "none"] | None = Field(None, description="cannonball (default), or none to turn "
                                                        "it off.")
    mass: Kilograms | None = None
    area: SquareMeters | None = None
    cr: float | None = Field(None, ge=1, le=2)


class ForcesIncomplete(ValueError):
    """A force model that cannot be built: the block (``drag``, ``srp``) and key it concerns, and why."""

    def __init__(self, block: str, key: str | None, message: str):
        super().__init__(message)
        self.block, self.key, self.message = block, key, message


class Forces(Model):
    """What acts on a numerically propagated satellite besides the Earth's central gravity.

    Defaults: J2 on; J3, drag, radiation pressure and third bodies off.
    """

    j2: bool | None = None
    j3: bool | None = None
    drag: Annotated[Drag | None, BeforeValidator(_switch)] = None
    srp: Annotated[RadiationPressure | None, BeforeValidator(_switch)] = None
    third_body: list[Literal["sun", "moon"]] | None = Field(None, description="Sun and/or Moon (positions from "
                                                                              "astropy's built-in ephemeris).")

    @field_validator("third_body")
    @classmethod
    def _once(cls, value):
        if value is not None and len(set(value)) != len(value):
            raise ValueError(f"name each body once (got {value})")
        return value

    def over(self, base: Forces | None) -> Forces:
        """This block, with every key it leaves out taken from ``base`` (``drag`` and ``srp`` key by key)."""
        if base is None:
            return self
        merged = {}
        for key in type(self).model_fields:
            mine, theirs = getattr(self, key), getattr(base, key)
            if isinstance(mine, Model) and isinstance(theirs, Model):
                inherit = dict(theirs)
                if inherit["model"] == "none":
                    inherit["model"] = None
                if isinstance(mine, Drag):
                    if mine.ballistic_coefficient is not None:
                        inherit.update(mass=None, area=None, cd=None)
                    if any(getattr(mine, k) is not None for k in ("mass", "area", "cd")):
                        inherit["ballistic_coefficient"] = None
                    if mine.model is not None and mine.model != theirs.model:
                        inherit["exospheric_temperature"] = None
                mine = type(mine).model_construct(**{k: v if v is not None else inherit[k] for k, v in mine})
            merged[key] = mine if mine is not None else theirs
        return Forces.model_construct(**merged)

    def force_model(self):
        """The ``orbits.numerical.ForceModel`` of this block; ``ForcesIncomplete`` when drag or radiation pressure
        lacks what it needs."""
        from ..orbits.numerical import ForceModel

        drag, ballistic, texo = None, 0.0, DEFAULT_EXOSPHERIC_K
        d = self.drag
        if d is not None and d.model != "none":
            drag = d.model or "coesa76"
            if d.ballistic_coefficient is not None:
                ballistic = 1e-6 / d.ballistic_coefficient
            elif d.mass is not None and d.area is not None:
                ballistic = (d.cd if d.cd is not None else DEFAULT_CD) * d.area * 1e-6 / d.mass
            else:
                missing = " and ".join(k for k in ("mass", "area") if getattr(d, k) is None)
                raise ForcesIncomplete("drag", None, f"drag needs the satellite's {missing} (and cd, default "
                                       f"{DEFAULT_CD}) or its ballistic_coefficient (m / (Cd A), kg/m2)")
            if d.exospheric_temperature is not None:
                if drag != "jacchia77":
                    raise ForcesIncomplete("drag", "exospheric_temperature", "the exospheric temperature sets the "
                                           f"jacchia77 atmosphere; the model here is {drag}")
                texo = d.exospheric_temperature
        srp = 0.0
        s = self.srp
        if s is not None and s.model != "none":
            if s.mass is None or s.area is None:
                missing = " and ".join(k for k in ("mass", "area") if getattr(s, k) is None)
                raise ForcesIncomplete("srp", None, f"radiation pressure needs the satellite's {missing} (and cr, "
                                       f"default {DEFAULT_CR})")
            srp = (s.cr if s.cr is not None else DEFAULT_CR) * s.area * 1e-6 / s.mass
        return ForceModel(j2=True if self.j2 is None else self.j2, j3=bool(self.j3), drag=drag, ballistic=ballistic,
                          exospheric_temperature=texo, srp=srp, third_body=tuple(self.third_body or ()))


class DefaultPropagator(str):
    """The scenario's default propagator name, carrying ``defaults.forces`` to the entries' ``members``."""

    forces: Forces | None

    def __new__(cls, name: str, forces: Forces | None = None):
        obj = super().__new__(cls, name)
        obj.forces = forces
        return obj

    def __reduce__(self):
        return (DefaultPropagator, (str(self), self.forces))


def forces_errors(scenario) -> list[tuple[tuple, str, Any, dict]]:
    """Every ``forces`` block given where nothing propagates numerically, and every numerical satellite whose
    forces (its own block over ``defaults.forces``) lack a mass or an area, at the field to fix."""
    errors = []
    defaults = scenario.defaults
    numerical = False
    for i, entry in enumerate(scenario.satellites):
        model = entry.propagator_for(defaults.propagator)
        who = f"satellites[{i}] ({entry.name})" if getattr(entry, "name", None) else f"satellites[{i}]"
        if model != "numerical":
            if entry.forces is not None:
                errors.append((("satellites", i, "forces"), f"forces apply to propagator: numerical; this entry "
                               f"propagates with {model} (set propagator: numerical here or in defaults)", None, {}))
            continue
        numerical = True
        try:
            entry.force_model(defaults.forces)
        except ForcesIncomplete as exc:
            own = entry.forces is not None and getattr(entry.forces, exc.block) is not None
            if own:
                loc = ("satellites", i, "forces", exc.block) + ((exc.key,) if exc.key else ())
                errors.append((loc, exc.message, None, {}))
            else:
                loc = ("defaults", "forces", exc.block) + ((exc.key,) if exc.key else ())
                errors.append((loc, f"{exc.message}: {who} takes its {exc.block} from here (give them on the "
                               f"entry's forces.{exc.block}, or here)", None, {}))
    relay = scenario.relay
    if relay is not None and relay.enabled and (relay.propagator or defaults.propagator) == "numerical":
        numerical = True
    if defaults.forces is not None and not numerical:
        errors.append((("defaults", "forces"), "forces apply to propagator: numerical; no satellite here propagates "
                       "numerically (set propagator: numerical on an entry or in defaults)", None, {}))
    return errors
