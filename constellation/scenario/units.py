"""Units: the field types of a scenario that hold a physical value, and the reading of times and durations.

Physical values are given as astropy Quantities, strings with a unit (``"510 km"``, ``"1 d"``) or bare numbers in
the field's canonical unit (km for orbits, m for station heights, deg, s, W, dBW...), and stored as floats in that
unit. ``to_seconds`` and ``to_duration`` read times the same way for the whole API (``"10 min"``, a ``timedelta``,
``"2026-03-20T06:00:00Z"``...).
"""

from __future__ import annotations

import math
import numbers
import re
from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, StringConstraints, WithJsonSchema


class UnitMarker:
    """Annotation marker: the field is a physical value stored in ``unit``; shapes its JSON Schema."""

    def __init__(self, unit: str, kind: str, example: str):
        self.unit, self.kind, self.example = unit, kind, example

    def __get_pydantic_json_schema__(self, core_schema, handler):
        inner = handler(core_schema)
        return {
            "anyOf": [inner, {"type": "string"}],
            "description": f"{self.kind.capitalize()} in {self.unit}, or a string with a unit such as "
            f"'{self.example}'.",
        }


def _a(noun: Any) -> str:
    """The noun with its indefinite article."""
    text = str(noun)
    return f"{'an' if text[:1].lower() in 'aeiou' else 'a'} {text}"


def _read_number(value: Any, kind: str, hint: str, parse) -> float:
    """A finite float from a plain number, or from ``parse(value)`` for a string or a Quantity."""
    if isinstance(value, bool):
        raise ValueError(f"expected {_a(kind)}: {hint} (got {value!r})")
    if isinstance(value, numbers.Real):
        x = float(value)
    elif isinstance(value, str) or hasattr(value, "unit"):
        x = parse(value)
    else:
        raise ValueError(f"expected {_a(kind)}: {hint} (got {type(value).__name__})")
    if not math.isfinite(x):
        raise ValueError(f"expected a finite {kind} (got {value!r})")
    return x


def _to_unit(value: Any, marker: UnitMarker) -> float:
    unit, kind, example = marker.unit, marker.kind, marker.example
    hint = f"give a number in {unit} or a value with a unit such as '{example}'"

    def parse(value) -> float:
        import astropy.units as u

        try:
            q = u.Quantity(value)
        except Exception:
            raise ValueError(f"cannot read {value!r} as {_a(kind)}: {hint}") from None
        if not q.isscalar:
            raise ValueError(f"expected one {kind}, not an array: {hint}")
        if q.unit == u.dimensionless_unscaled:
            return float(q.value)
        if q.unit.is_equivalent(unit):
            return float(q.to_value(unit))
        shown = value if isinstance(value, str) else f"{q}"
        raise ValueError(f"'{shown}' is {_a(q.unit.physical_type)}, not {_a(kind)}: {hint}")

    return _read_number(value, kind, hint, parse)


def _quantity(unit: str, kind: str, example: str, **limits):
    marker = UnitMarker(unit, kind, example)
    return Annotated[float, Field(**limits), BeforeValidator(lambda v: _to_unit(v, marker)), marker]


Km = _quantity("km", "length", "510 km")
Meters = _quantity("m", "length", "1200 m")
Deg = _quantity("deg", "angle", "53 deg")
Inclination = _quantity("deg", "angle", "53 deg", ge=0, le=180)
Latitude = _quantity("deg", "angle", "35.7 deg", ge=-90, le=90)
Longitude = _quantity("deg", "angle", "51.4 deg", ge=-180, lt=360)
Elevation = _quantity("deg", "angle", "10 deg", ge=0, lt=90)
Spacing = _quantity("deg", "angle", "72 deg", gt=0)
Hertz = _quantity("Hz", "frequency", "8.2 GHz", gt=0)
Watts = _quantity("W", "power", "5 W", gt=0)
Power = _quantity("W", "power", "60 W", ge=0)
"""A power in W that may be 0 (``Watts`` must be > 0)."""
Kelvin = _quantity("K", "temperature", "500 K", gt=0)
Percent = _quantity("%", "percentage of the time", "0.1 %")
RainRate = _quantity("mm/h", "rain rate", "50 mm/h", gt=0)
_RATE = UnitMarker("bit/s", "data rate", "100 Mbit/s")


def _rate(value: Any) -> float:
    if isinstance(value, str):
        value = re.sub(r"(?i)\b([kMGT]?)bps\b", lambda m: f"{m.group(1)}bit/s", value.strip())
    return _to_unit(value, _RATE)


BitRate = Annotated[float, Field(gt=0), BeforeValidator(_rate), _RATE]
_ENERGY = UnitMarker("W h", "energy", "200 W h")
Energy = Annotated[
    float, Field(gt=0),
    BeforeValidator(lambda v: _to_unit(re.sub(r"\b([kM]?)Wh\b", r"\1W h", v) if isinstance(v, str) else v, _ENERGY)),
    _ENERGY,
]
Bits = _quantity("bit", "data size", "1.5 GB", gt=0)
PerHour = _quantity("1/h", "rate of events", "6 / h", ge=0)
Kilograms = _quantity("kg", "mass", "12 kg", gt=0, le=1e6)
SquareMeters = _quantity("m2", "area", "0.06 m2", gt=0, le=1e4)
ExosphericTemperature = _quantity("K", "temperature", "1000 K", ge=500, le=2500)
_BALLISTIC = UnitMarker("kg/m2", "ballistic coefficient", "70 kg/m2")


def _ballistic(value: Any) -> float:
    """m / (Cd A) in kg/m2; a value in m2/kg is Cd A / m, the other convention, and is inverted."""
    if (isinstance(value, str) or hasattr(value, "unit")) and not isinstance(value, bool):
        import astropy.units as u

        try:
            q = u.Quantity(value)
        except Exception:
            q = None
        if q is not None and q.isscalar and q.unit.is_equivalent(u.m**2 / u.kg):
            x = float(q.to_value(u.m**2 / u.kg))
            if not (math.isfinite(x) and x > 0.0):
                raise ValueError(f"expected a finite ballistic coefficient above zero (got {value!r})")
            return 1.0 / x
    return _to_unit(value, _BALLISTIC)


BallisticCoefficient = Annotated[float, Field(ge=0.01, le=1e5), BeforeValidator(_ballistic), _BALLISTIC]
"""A ballistic coefficient m / (Cd A) in kg/m2: a number, ``"70 kg/m2"``, or Cd A / m with its unit
(``"0.014 m2/kg"``, the inverse convention)."""


_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"


class _LevelMarker(UnitMarker):
    """Annotation marker of a level in decibels: ``unit`` as written (dBW, dBi, dB/K, dB) and ``physical`` the unit
    the decibels are relative to ("" for a plain ratio). When ``linear`` is given (how messages name such a value),
    a plain value in ``physical`` converts too: ``"20 W"`` is 13 dBW."""

    def __init__(self, unit: str, kind: str, example: str, physical: str = "", linear: str | None = None):
        super().__init__(unit, kind, example)
        self.physical, self.linear = physical, linear


_LEVEL_TEXT = re.compile(rf"^\s*(?P<number>{_NUMBER})\s*(?P<unit>dB.*?)\s*$")
_LEVEL_SUFFIX = {"dBi": "dB", "dBW": "dB(W)", "dBm": "dB(mW)", "dBi/K": "dB/K"}


def _to_level(value: Any, marker: _LevelMarker) -> float:
    import astropy.units as u
    from astropy.units.function.core import FunctionUnitBase

    unit, kind, example = marker.unit, marker.kind, marker.example
    relative_to = u.Unit(marker.physical) if marker.physical else u.one
    function = u.dB(relative_to)
    linear = f", or {marker.linear}" if marker.linear else ""
    hint = f"give a number in {unit} or a value with a unit such as '{example}'{linear}"

    def parse(value) -> float:
        try:
            match = _LEVEL_TEXT.match(value) if isinstance(value, str) else None
            if match:
                text = match["unit"].replace(" ", "")
                text = _LEVEL_SUFFIX.get(text, text)
                per = u.dB(u.Unit(text[3:-1])) if text.startswith("dB(") and text.endswith(")") else u.Unit(text)
                q = float(match["number"]) * per
            else:
                q = value if hasattr(value, "unit") else u.Quantity(value)
        except Exception:
            raise ValueError(f"cannot read {value!r} as {_a(kind)}: {hint}") from None
        if not q.isscalar:
            raise ValueError(f"expected one {kind}, not an array: {hint}")
        shown = value if isinstance(value, str) else f"{q}"
        try:
            if isinstance(q.unit, FunctionUnitBase):
                return float(q.to_value(function))
            if q.unit == u.dimensionless_unscaled or q.unit == u.dB * relative_to:
                return float(q.value)
            if marker.linear and q.unit.is_equivalent(relative_to):
                if not q.value > 0:
                    raise ValueError(f"'{shown}' is not above zero, so it has no level in {unit}: {hint}")
                return float(q.to_value(function))
            raise u.UnitsError(unit)
        except (u.UnitsError, TypeError):
            raise ValueError(f"'{shown}' is not {_a(kind)} in {unit}: {hint}") from None

    return _read_number(value, kind, hint, parse)


def _level(unit: str, kind: str, example: str, physical: str = "", linear: str | None = None):
    marker = _LevelMarker(unit, kind, example, physical, linear)
    return Annotated[float, BeforeValidator(lambda v: _to_level(v, marker)), marker]


Dbw = _level("dBW", "power level", "13 dBW", "W", linear="a power such as '20 W'")
"""A power level in dBW: a number, ``"13 dBW"`` (also dB(W), dBm), an astropy ``dB(W)`` value, or a power
(``"20 W"`` is 13 dBW)."""
Dbi = _level("dBi", "antenna gain", "30 dBi")
"""An antenna gain in dBi: a number, ``"30 dBi"`` or ``"30 dB"``, or an astropy dB value."""
DbPerK = _level(
    "dB/K", "gain-to-noise-temperature ratio", "20 dB/K", "1/K", linear="a linear value such as '100 1/K'"
)
"""A figure of merit G/T in dB/K: a number, ``"20 dB/K"``, an astropy ``dB(1/K)`` value, or a linear value in 1/K."""
Db = _level("dB", "ratio", "3 dB")
"""A ratio (a loss, a margin) in dB: a number, ``"3 dB"``, or an astropy dB value."""


# Time: seconds since the scenario epoch, and durations.

_TIME_WORDS = {
    "sec": "s", "secs": "s", "second": "s", "seconds": "s", "mins": "min", "minute": "min", "minutes": "min",
    "hr": "h", "hrs": "h", "hour": "h", "hours": "h", "day": "d", "days": "d", "week": "wk", "weeks": "wk",
    "years": "yr", "yrs": "yr",
}
_TIME_TERM = re.compile(rf"\s*({_NUMBER})\s*([A-Za-z]+)")
_TIME_TERMS = re.compile(rf"(?:\s*{_NUMBER}\s*[A-Za-z]+){{2,}}\s*")
_ABSOLUTE_TEXT = re.compile(r"^\s*[-+]?\d{4,}-\d{1,2}-\d{1,2}")
_TIME_HINT = "give seconds, a duration such as '10 min', or a UTC time such as '2026-03-20T06:00:00Z'"
_DURATION_HINT = "give seconds or a duration such as '10 min'"
_SECONDS = UnitMarker("s", "duration", "1 d")


def _time_words(text: str) -> str:
    """``text`` with spelled-out time units in astropy's names ("2 days" -> "2 d", "6 hours" -> "6 h"), and a sum
    of terms ("1 h 30 min") as one value in s."""
    text = re.sub(r"[A-Za-z]+", lambda m: _TIME_WORDS.get(m.group().lower(), m.group()), text)
    if _TIME_TERMS.fullmatch(text):
        import astropy.units as u

        try:
            total = sum(float(n) * u.Unit(name).to(u.s) for n, name in _TIME_TERM.findall(text))
        except Exception:
            return text
        return f"{total!r} s"
    return text


def _seconds(value: Any) -> float:
    if isinstance(value, timedelta):
        return value.total_seconds()
    return _to_unit(_time_words(value) if isinstance(value, str) else value, _SECONDS)


Seconds = Annotated[float, BeforeValidator(_seconds), _SECONDS]
"""A duration in s: a number, an astropy Quantity, a ``timedelta``, or a string with a unit (``"90 min"``,
``"2 days"``)."""


def utc_time(value: Any, name: str):
    """An absolute time (ISO string, ``datetime``, ``date``, numpy datetime64 or astropy Time) as a scalar Time."""
    from astropy.time import Time

    try:
        if isinstance(value, Time):
            t = value
        elif isinstance(value, datetime):
            if value.tzinfo is not None:
                value = value.astimezone(timezone.utc).replace(tzinfo=None)
            t = Time(value, scale="utc")
        elif isinstance(value, date):
            t = Time(datetime(value.year, value.month, value.day), scale="utc")
        elif isinstance(value, str):
            text = value.strip()
            try:
                dt = datetime.fromisoformat(text)
            except ValueError:
                t = Time(text, scale="utc")
            else:
                return utc_time(dt, name)
        else:
            t = Time(value, scale="utc")
    except Exception:
        raise ValueError(f"{name}: cannot read {_shown(value)} as a UTC time such as '2026-03-20T06:00:00Z'") from None
    if not t.isscalar:
        raise ValueError(f"{name}: expected one time, not an array of {len(t)}")
    return t


def _shown(value: Any) -> str:
    """A value as a user typed or would recognise it, for messages."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))
    if isinstance(value, (datetime, date)):
        return f"'{value.isoformat()}'"
    if type(value).__module__.startswith("astropy.time"):
        try:
            return f"'{value.utc.isot}'" if value.isscalar else f"an array of {len(value)} times"
        except Exception:
            return repr(value)
    if isinstance(value, timedelta):
        return f"timedelta('{value}')"
    if hasattr(value, "unit") and not isinstance(value, str):
        return f"'{value}'"
    return repr(value)


def _read_time(value: Any, name: str, what: str, hint: str) -> tuple[bool, Any]:
    """(absolute, value): seconds (float, maybe not finite) for a relative time, a scalar astropy Time otherwise;
    ``what`` (time, duration) names what is expected in messages."""
    if isinstance(value, float):
        return False, float(value)
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{name}: expected {_a(what)} ({hint}), got {value!r}")
    module = type(value).__module__ or ""
    if module.startswith("numpy"):
        import numpy as np

        if isinstance(value, np.datetime64):
            return True, utc_time(value, name)
        if isinstance(value, np.timedelta64):
            if np.isnat(value):
                raise ValueError(f"{name}: expected a finite {what} ({hint}), got {value!r}")
            return False, float(value / np.timedelta64(1, "s"))
        if isinstance(value, np.bool_):
            raise ValueError(f"{name}: expected {_a(what)} ({hint}), got {bool(value)!r}")
        if isinstance(value, np.ndarray) and value.ndim == 0:
            return _read_time(value[()], name, what, hint)
        if isinstance(value, np.ndarray):
            raise ValueError(f"{name}: expected one {what}, not an array of {value.size}")
    if isinstance(value, numbers.Real):
        return False, float(value)
    if isinstance(value, timedelta):
        return False, value.total_seconds()
    if isinstance(value, date) or module.startswith("astropy.time"):
        return True, utc_time(value, name)
    import astropy.units as u

    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise ValueError(f"{name}: expected {_a(what)} ({hint}), got an empty string")
        try:
            return False, float(text)
        except ValueError:
            pass
        if _ABSOLUTE_TEXT.match(text):
            return True, utc_time(text, name)
        try:
            q = u.Quantity(_time_words(text))
        except Exception:
            q = None
    elif hasattr(value, "unit"):
        try:
            q = u.Quantity(value)
        except Exception:
            q = None
    else:
        raise ValueError(f"{name}: expected {_a(what)} ({hint}), got {_a(type(value).__name__)} ({value!r})")
    if q is None or str(q.unit.physical_type) == "unknown":
        raise ValueError(f"{name}: cannot read {_shown(value)} as {_a(what)}: {hint}")
    if not q.isscalar:
        raise ValueError(f"{name}: expected one {what}, not an array of {q.size}")
    if q.unit == u.dimensionless_unscaled:
        return False, float(q.value)
    if not q.unit.is_equivalent(u.s):
        raise ValueError(f"{name}: {_shown(value)} is {_a(q.unit.physical_type)}, not {_a(what)}: {hint}")
    return False, float(q.to_value(u.s))


def _epoch_label(epoch: Any) -> str:
    if epoch is None:
        return "the epoch"
    if isinstance(epoch, str):
        return f"the epoch {epoch.strip()}"
    try:
        return f"the epoch {utc_time(epoch, 'epoch').utc.isot}"
    except ValueError:
        return "the epoch"


def _secs(x: float) -> str:
    return f"{x:.10g}"


def to_seconds(value: Any, *, epoch: Any = None, end: float | None = None, name: str = "time") -> float:
    """Seconds since the scenario epoch from any of the ways the API takes a time.

    ``value`` is a number (seconds), an astropy Quantity of time, a ``datetime.timedelta``, a string with a unit
    (``"10 min"``, ``"2 days"``, ``"6 h"``, ``"90 s"``, ``"1 h 30 min"``), or an absolute time: an ISO 8601 string
    (``"2026-03-20T06:00:00Z"``, UTC unless an offset is given), a ``datetime`` (naive means UTC) or an astropy
    ``Time``. An absolute time needs ``epoch`` (an astropy Time or an ISO string). With ``end`` (the run length in
    s), a time outside [0, end] is refused.

    Raises ValueError, with a message that starts with ``name`` and shows what was given, for anything that is not a
    finite time: NaN, infinity, a bool, a value in another unit, an absolute time without an epoch, or a time
    outside the run.
    """
    if type(value) is float and value - value == 0.0 and end is None:
        return value
    absolute, x = _read_time(value, name, "time", _TIME_HINT)
    if absolute:
        if epoch is None:
            raise ValueError(f"{name}: {_shown(value)} is an absolute time; seconds since the epoch need the "
                             "scenario epoch (give seconds or a duration such as '10 min' instead)")
        import astropy.units as u

        # astropy's difference is exact to well under a nanosecond: rounding there gives 600.0, not 600.0000000000011
        x = round(float((x - utc_time(epoch, "epoch")).to_value(u.s)), 9)
    if not math.isfinite(x):
        raise ValueError(f"{name}: expected a finite time ({_TIME_HINT}), got {_shown(value)}")
    if end is not None:
        end = float(end)
        slack = 1e-9 * max(1.0, abs(end))
        if not -slack <= x <= end + slack:
            given = f"{_secs(x)} s" if isinstance(value, numbers.Real) else f"{_shown(value)} ({_secs(x)} s)"
            raise ValueError(f"{name}: {given} is outside the scenario (0 to {_secs(end)} s after {_epoch_label(epoch)})")
    return x


def to_duration(value: Any, *, name: str = "step") -> float:
    """A positive, finite duration in seconds from a number (seconds), an astropy Quantity of time, a
    ``datetime.timedelta`` or a string with a unit (``"10 min"``, ``"2 days"``); an absolute time is refused.

    Raises ValueError, with a message that starts with ``name`` and shows what was given, for anything else
    (zero, negative, NaN, infinity, a bool, a value in another unit, a date).
    """
    if type(value) is float and value > 0.0 and value - value == 0.0:
        return value
    absolute, x = _read_time(value, name, "duration", _DURATION_HINT)
    if absolute:
        raise ValueError(f"{name}: {_shown(value)} is a point in time, not a duration: {_DURATION_HINT}")
    if not (math.isfinite(x) and x > 0.0):
        shown = _shown(value) if isinstance(value, (str, numbers.Real)) else f"{_shown(value)} ({_secs(x)} s)"
        raise ValueError(f"{name}: expected a finite duration > 0 ({_DURATION_HINT}), got {shown}")
    return x


def _hours(value: Any) -> float:
    from ..orbits.elements import parse_ltan

    if isinstance(value, bool):
        raise ValueError(f"local time of the ascending node must be hours (10.5) or 'HH:MM' (got {value!r})")
    if (isinstance(value, str) and ":" not in value) or hasattr(value, "unit"):
        import astropy.units as u

        try:
            q = u.Quantity(value)
        except Exception:
            raise ValueError(
                f"local time of the ascending node must be hours (10.5) or 'HH:MM' (got {value!r})"
            ) from None
        if q.unit == u.dimensionless_unscaled:
            value = float(q.value)
        elif q.unit.is_equivalent(u.h):
            value = float(q.to_value(u.h))
        elif q.unit.is_equivalent(u.hourangle):
            value = float(q.to_value(u.hourangle))
        else:
            raise ValueError(f"'{value}' is a {q.unit.physical_type}, not a local time: give hours or 'HH:MM'")
    return parse_ltan(value)


Hours = Annotated[
    float,
    BeforeValidator(_hours),
    WithJsonSchema(
        {
            "anyOf": [{"type": "number", "minimum": 0, "exclusiveMaximum": 24}, {"type": "string"}],
            "description": "Local time of the ascending node: hours (10.5) or 'HH:MM' (quote it in YAML).",
        }
    ),
]


EPOCH_YEARS = (1957, 2100)
"""Years an epoch may fall in: the space age, up to where the Earth-orientation and time-scale models are meant
to serve (leap seconds and UT1 beyond the published tables are extrapolated)."""


def _epoch(value: Any) -> str:
    text = _epoch_text(value)
    first, last = EPOCH_YEARS
    year = re.match(r"^([+-]?\d+)-", text)
    if year is None or not first <= int(year.group(1)) < last:
        raise ValueError(f"epoch {text.split('T')[0]} is outside the years {first} to {last - 1} this model serves")
    if text.split("T")[-1][6:8] == "60":
        raise ValueError(f"epoch {text} falls in a leap second: start the run at the second before or after it")
    return text


def _epoch_text(value: Any) -> str:
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            dt = datetime.fromisoformat(value.strip())
        except ValueError:
            return _epoch_astropy(value)
    elif hasattr(value, "isot") and hasattr(value, "utc"):
        return _epoch_astropy(value)
    else:
        raise ValueError(f"epoch must be an ISO 8601 UTC time such as '2026-03-20T00:00:00Z' (got {value!r})")
    if dt.tzinfo is not None:
        dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
    dt += timedelta(microseconds=500)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}"


def _epoch_astropy(value: Any) -> str:
    from astropy.time import Time

    try:
        t = Time(value, scale="utc", precision=3) if isinstance(value, str) else Time(value, precision=3)
    except Exception:
        raise ValueError(
            f"epoch must be an ISO 8601 UTC time such as '2026-03-20T00:00:00Z' (got {value!r})"
        ) from None
    if not t.isscalar:
        raise ValueError("epoch must be a single time, not an array")
    return t.utc.isot


Epoch = Annotated[
    str,
    BeforeValidator(_epoch),
    WithJsonSchema(
        {
            "type": "string",
            "description": "Start of the run: ISO 8601, UTC unless an offset is given (2026-03-20T00:00:00Z).",
        }
    ),
]

ScenarioName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]+$")]
Name = Annotated[str, StringConstraints(min_length=1)]
Propagator = Literal["j2", "twobody", "numerical"]
