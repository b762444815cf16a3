"""Link models: what a radio link can carry as a function of range.

Plain floats and numpy arrays in km, s, Hz, bit/s and dB; every function broadcasts over ``range_km``.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import KW_ONLY, dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from .constants import C_KM_S

if TYPE_CHECKING:
    from .atmosphere import Atmosphere

BOLTZMANN_DBW_PER_K_HZ = 10.0 * math.log10(1.380649e-23)
"""Boltzmann's constant in dBW/K/Hz (-228.599 from the exact SI value; textbooks round it to -228.6)."""

CODINGS = ("dvb-s2", "shannon")


def propagation_delay_s(range_km) -> np.ndarray:
    """One-way light time over ``range_km``, s: d / c."""
    return np.asarray(range_km, dtype=float) / C_KM_S


def fspl_db(range_km, frequency_hz) -> np.ndarray:
    """Free-space path loss, dB: 20 log10(4 pi d f / c).

    Equal to 92.45 + 20 log10(d / km) + 20 log10(f / GHz). Range 0 gives -inf, a negative range nan.
    """
    d = np.asarray(range_km, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 20.0 * np.log10(4.0 * np.pi * d * np.asarray(frequency_hz, dtype=float) / C_KM_S)


def shannon_capacity_bps(bandwidth_hz, snr_db) -> np.ndarray:
    """Shannon capacity of an AWGN channel, bit/s: B log2(1 + SNR), SNR given in dB."""
    snr = np.power(10.0, np.asarray(snr_db, dtype=float) / 10.0)
    return np.asarray(bandwidth_hz, dtype=float) * np.log2(1.0 + snr)


def _number(where: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, str)):
        raise ValueError(f"{where}: {name} must be a number (got {value!r})")
    try:
        x = float(value)
    except ValueError:
        raise ValueError(f"{where}: {name} must be a number (got {value!r})") from None
    if not math.isfinite(x):
        raise ValueError(f"{where}: {name} must be finite (got {value!r})")
    return x


def _positive(where: str, name: str, value: Any) -> float:
    x = _number(where, name, value)
    if x <= 0.0:
        raise ValueError(f"{where}: {name} must be > 0 (got {x:g})")
    return x


@dataclass(frozen=True)
class Modcod:
    """One modulation and coding scheme: the Es/N0 it needs (dB) and the information bits it carries per symbol."""

    name: str
    required_esn0_db: float
    efficiency_bits_per_symbol: float

    def __post_init__(self):
        where = f"modcod {self.name!r}"
        object.__setattr__(self, "required_esn0_db", _number(where, "required_esn0_db", self.required_esn0_db))
        object.__setattr__(self, "efficiency_bits_per_symbol",
                           _positive(where, "efficiency_bits_per_symbol", self.efficiency_bits_per_symbol))


_TABLE_13 = (
    ("QPSK 1/4", -2.35, 0.490243),
    ("QPSK 1/3", -1.24, 0.656448),
    ("QPSK 2/5", -0.30, 0.789412),
    ("QPSK 1/2", 1.00, 0.988858),
    ("QPSK 3/5", 2.23, 1.188304),
    ("QPSK 2/3", 3.10, 1.322253),
    ("QPSK 3/4", 4.03, 1.487473),
    ("QPSK 4/5", 4.68, 1.587196),
    ("QPSK 5/6", 5.18, 1.654663),
    ("QPSK 8/9", 6.20, 1.766451),
    ("QPSK 9/10", 6.42, 1.788612),
    ("8PSK 3/5", 5.50, 1.779991),
    ("8PSK 2/3", 6.62, 1.980636),
    ("8PSK 3/4", 7.91, 2.228124),
    ("8PSK 5/6", 9.35, 2.478562),
    ("8PSK 8/9", 10.69, 2.646012),
    ("8PSK 9/10", 10.98, 2.679207),
    ("16APSK 2/3", 8.97, 2.637201),
    ("16APSK 3/4", 10.21, 2.966728),
    ("16APSK 4/5", 11.03, 3.165623),
    ("16APSK 5/6", 11.61, 3.300184),
    ("16APSK 8/9", 12.89, 3.523143),
    ("16APSK 9/10", 13.13, 3.567342),
    ("32APSK 3/4", 12.73, 3.703295),
    ("32APSK 4/5", 13.64, 3.951571),
    ("32APSK 5/6", 14.28, 4.119540),
    ("32APSK 8/9", 15.69, 4.397854),
    ("32APSK 9/10", 16.05, 4.453027),
)

DVBS2_MODCODS: tuple[Modcod, ...] = tuple(
    sorted((Modcod(*row) for row in _TABLE_13), key=lambda m: m.efficiency_bits_per_symbol)
)
"""The 28 DVB-S2 MODCODs, ordered by spectral efficiency.

ETSI EN 302 307-1 V1.4.1, Table 13 ("Es/N0 performance at Quasi Error Free PER = 10^-7 (AWGN channel)"): ideal
Es/N0 for normal FECFRAME (64,800 bits) and spectral efficiency in information bits per symbol, pilots off
(efficiency = (K_bch - 80) / (64800 / log2 M + 90)). Real modems need 0.5-1 dB more: put that in ``margin_db``.
"""


@lru_cache(maxsize=64)
def _ladder(modcods: tuple[Modcod, ...]) -> tuple[np.ndarray, np.ndarray, tuple[Modcod, ...]]:
    """Thresholds ascending, the best efficiency reachable at each, and which MODCOD gives it."""
    ordered = sorted(modcods, key=lambda m: (m.required_esn0_db, -m.efficiency_bits_per_symbol))
    best: list[Modcod] = []
    for m in ordered:
        if not best or m.efficiency_bits_per_symbol > best[-1].efficiency_bits_per_symbol:
            best.append(m)
        else:
            best.append(best[-1])
    thresholds = np.array([m.required_esn0_db for m in ordered], dtype=float)
    efficiency = np.array([m.efficiency_bits_per_symbol for m in best], dtype=float)
    return thresholds, efficiency, tuple(best)


def best_modcod(esn0_db: float, modcods=DVBS2_MODCODS) -> Modcod | None:
    """The most efficient MODCOD whose required Es/N0 is met (``>=``), or None when none is."""
    thresholds, _, best = _ladder(_modcod_table(modcods, "best_modcod"))
    x = float(esn0_db)
    if math.isnan(x):
        return None
    i = int(np.searchsorted(thresholds, x, side="right")) - 1
    return best[i] if i >= 0 else None


def _efficiency(esn0_db: np.ndarray, modcods: tuple[Modcod, ...]) -> np.ndarray:
    """Bits per symbol of the best MODCOD met at each Es/N0; 0 where none is (or Es/N0 is nan)."""
    thresholds, efficiency, _ = _ladder(modcods)
    i = np.searchsorted(thresholds, esn0_db, side="right") - 1
    ok = (i >= 0) & ~np.isnan(esn0_db)
    return np.where(ok, efficiency[np.clip(i, 0, None)], 0.0)


def _modcod_table(modcods: Any, where: str) -> tuple[Modcod, ...]:
    """A tuple of Modcod from Modcods, (name, esn0_db, efficiency) sequences or mappings with those keys."""
    if isinstance(modcods, tuple) and modcods and all(isinstance(m, Modcod) for m in modcods):
        return modcods
    if isinstance(modcods, (str, bytes)) or not hasattr(modcods, "__iter__"):
        raise ValueError(f"{where}: modcods must be a list of (name, required_esn0_db, "
                         f"efficiency_bits_per_symbol) (got {modcods!r})")
    table = []
    for k, entry in enumerate(modcods):
        label = f"modcods[{k}]"
        if isinstance(entry, Modcod):
            name, esn0, eff = entry.name, entry.required_esn0_db, entry.efficiency_bits_per_symbol
        elif isinstance(entry, dict):
            unknown = set(entry) - {"name", "required_esn0_db", "efficiency_bits_per_symbol"}
            if unknown:
                raise ValueError(f"{where}: {label} has unknown field(s) {sorted(unknown)}")
            try:
                name, esn0, eff = entry["name"], entry["required_esn0_db"], entry["efficiency_bits_per_symbol"]
            except KeyError as missing:
                raise ValueError(f"{where}: {label} is missing {missing.args[0]}") from None
        elif isinstance(entry, (list, tuple)) and len(entry) == 3:
            name, esn0, eff = entry
        else:
            raise ValueError(f"{where}: {label} must be (name, required_esn0_db, efficiency_bits_per_symbol) "
                             f"(got {entry!r})")
        table.append(Modcod(str(name), _number(where, f"{label}.required_esn0_db", esn0),
                            _positive(where, f"{label}.efficiency_bits_per_symbol", eff)))
    if not table:
        raise ValueError(f"{where}: modcods must not be empty")
    return tuple(table)


def _format_rate(bps: float) -> str:
    for scale, unit in ((1e9, "Gbit/s"), (1e6, "Mbit/s"), (1e3, "kbit/s")):
        if bps >= scale:
            return f"{bps / scale:.4g} {unit}"
    return f"{bps:.4g} bit/s"


def _format_hz(hz: float) -> str:
    for scale, unit in ((1e9, "GHz"), (1e6, "MHz"), (1e3, "kHz")):
        if hz >= scale:
            return f"{hz / scale:.4g} {unit}"
    return f"{hz:.4g} Hz"


@dataclass(frozen=True, init=False, repr=False)
class FixedRate:
    """A link that carries the same rate at any range, or up to ``range_limit_km`` when given.

    Built as ``FixedRate(rate_bps)``; the value is kept in ``fixed_rate_bps`` because ``rate_bps`` is the method
    every link model has.
    """

    fixed_rate_bps: float
    range_limit_km: float | None

    def __init__(self, rate_bps: float, *, range_limit_km: float | None = None):
        object.__setattr__(self, "fixed_rate_bps", _positive("fixed rate", "rate_bps", rate_bps))
        object.__setattr__(self, "range_limit_km", _range_limit("fixed rate", range_limit_km))

    def __repr__(self) -> str:
        limit = "" if self.range_limit_km is None else f", range_limit_km={self.range_limit_km!r}"
        return f"FixedRate(rate_bps={self.fixed_rate_bps!r}{limit})"

    def rate_bps(self, range_km, elevation_deg=None, station=None, *, lowest: bool = False) -> np.ndarray:
        """The fixed rate, bit/s, at every range (0 beyond ``range_limit_km``); elevation and station play no
        part."""
        rate = np.full(np.shape(range_km), self.fixed_rate_bps, dtype=float)
        return _limited(rate, range_km, self.range_limit_km)

    def max_range_km(self) -> float:
        """``range_limit_km``, inf when there is none."""
        return math.inf if self.range_limit_km is None else self.range_limit_km

    def describe(self) -> str:
        """One line for people, e.g. 'fixed 100 Mbit/s at any range'."""
        if self.range_limit_km is None:
            return f"fixed {_format_rate(self.fixed_rate_bps)} at any range"
        return f"fixed {_format_rate(self.fixed_rate_bps)} up to {self.range_limit_km:,.0f} km"


def _range_limit(where: str, value: Any) -> float | None:
    return None if value is None else _positive(where, "range_limit_km", value)


def _limited(rate: np.ndarray, range_km, limit: float | None) -> np.ndarray:
    """``rate`` with 0 where the range is beyond ``limit`` (km; None for no limit)."""
    if limit is None:
        return rate
    return np.where(np.asarray(range_km, dtype=float) <= limit, rate, 0.0)


@dataclass(frozen=True)
class LinkBudget:
    """A radio link closed by its power budget: rate from C/N0 through DVB-S2 MODCODs or Shannon capacity.

    C/N0 = EIRP - FSPL(d, f) - losses + G/T - 10 log10(k)   [dB-Hz], k = 1.380649e-23 J/K (-228.6 dBW/K/Hz)
    EIRP = 10 log10(tx_power_w) + tx_gain_dbi unless given; G/T = rx_gain_dbi - 10 log10(T_sys) unless given.
    Es/N0 = C/N0 - 10 log10(Rs), symbol rate Rs = bandwidth / (1 + rolloff).
    DVB-S2: rate = efficiency x Rs of the most efficient MODCOD with required Es/N0 <= Es/N0 - margin.
    Shannon: rate = B log2(1 + SNR), SNR = C/N0 - 10 log10(B) - margin; it never drops to 0, so
    ``max_range_km`` is inf. Either rate is capped at ``max_rate_bps`` when given.

    The losses are ``losses_db + pointing_loss_db + polarization_loss_db``, plus on a ground link with
    ``atmosphere`` the ITU-R attenuation at the station and elevation the rate is asked for (see ``rate_bps``).
    Beyond ``range_limit_km`` the rate is 0.
    """

    frequency_hz: float
    bandwidth_hz: float
    _: KW_ONLY
    eirp_dbw: float | None = None
    tx_power_w: float | None = None
    tx_gain_dbi: float | None = None
    g_over_t_dbk: float | None = None
    rx_gain_dbi: float | None = None
    system_noise_temperature_k: float | None = None
    losses_db: float = 0.0
    margin_db: float = 0.0
    coding: str = "dvb-s2"
    rolloff: float = 0.2
    max_rate_bps: float | None = None
    modcods: tuple[Modcod, ...] | None = None
    pointing_loss_db: float = 0.0
    polarization_loss_db: float = 0.0
    atmosphere: Atmosphere | None = None
    range_limit_km: float | None = None

    def _one_of(self, where: str, put, whole: str, parts: tuple[str, str], positive: tuple[str, ...]) -> None:
        """Check that the figure ``whole`` or both ``parts`` (never both forms) are given, and store them checked."""
        given = [k for k in parts if getattr(self, k) is not None]
        if getattr(self, whole) is not None:
            if given:
                raise ValueError(f"{where}: give {whole} or {' and '.join(parts)}, not both "
                                 f"(got {whole} and {' and '.join(given)})")
            put(whole, _number(where, whole, getattr(self, whole)))
            return
        if not given:
            raise ValueError(f"{where}: {whole} is required (or {' and '.join(parts)})")
        if len(given) == 1:
            missing = next(k for k in parts if k not in given)
            raise ValueError(f"{where}: {missing} is required with {given[0]}")
        for k in parts:
            put(k, (_positive if k in positive else _number)(where, k, getattr(self, k)))

    def __post_init__(self):
        where = "link budget"

        def put(name, value):
            object.__setattr__(self, name, value)

        put("frequency_hz", _positive(where, "frequency_hz", self.frequency_hz))
        put("bandwidth_hz", _positive(where, "bandwidth_hz", self.bandwidth_hz))

        self._one_of(where, put, "eirp_dbw", ("tx_power_w", "tx_gain_dbi"), positive=("tx_power_w",))
        self._one_of(where, put, "g_over_t_dbk", ("rx_gain_dbi", "system_noise_temperature_k"),
                     positive=("system_noise_temperature_k",))

        for name in ("losses_db", "margin_db", "pointing_loss_db", "polarization_loss_db"):
            x = _number(where, name, getattr(self, name))
            if x < 0.0:
                raise ValueError(f"{where}: {name} must be >= 0 (got {x:g})")
            put(name, x)
        if self.coding not in CODINGS:
            raise ValueError(f"{where}: coding must be 'dvb-s2' or 'shannon' (got {self.coding!r})")
        rolloff = _number(where, "rolloff", self.rolloff)
        if not 0.0 <= rolloff <= 1.0:
            raise ValueError(f"{where}: rolloff must be in [0, 1] (got {rolloff:g})")
        put("rolloff", rolloff)
        if self.max_rate_bps is not None:
            put("max_rate_bps", _positive(where, "max_rate_bps", self.max_rate_bps))
        if self.modcods is not None:
            if self.coding != "dvb-s2":
                raise ValueError(f"{where}: modcods applies only to coding 'dvb-s2' (coding is {self.coding!r})")
            put("modcods", _modcod_table(self.modcods, where))
        put("range_limit_km", _range_limit(where, self.range_limit_km))
        if self.atmosphere is not None:
            from .atmosphere import Atmosphere

            atmosphere = self.atmosphere
            if isinstance(atmosphere, dict):
                atmosphere = Atmosphere.from_mapping(atmosphere)
            elif not isinstance(atmosphere, Atmosphere):
                raise ValueError(f"{where}: atmosphere must be an Atmosphere or a mapping of its fields "
                                 f"(got {type(atmosphere).__name__})")
            atmosphere.check_frequency(self.frequency_hz)
            put("atmosphere", atmosphere)

    @property
    def effective_eirp_dbw(self) -> float:
        """EIRP, dBW, given or from transmit power and gain."""
        if self.eirp_dbw is not None:
            return self.eirp_dbw
        return 10.0 * math.log10(self.tx_power_w) + self.tx_gain_dbi

    @property
    def effective_g_over_t_dbk(self) -> float:
        """Receiver figure of merit, dB/K, given or from gain and system noise temperature."""
        if self.g_over_t_dbk is not None:
            return self.g_over_t_dbk
        return self.rx_gain_dbi - 10.0 * math.log10(self.system_noise_temperature_k)

    @property
    def symbol_rate_baud(self) -> float:
        """Symbol rate, symbols/s: bandwidth / (1 + rolloff)."""
        return self.bandwidth_hz / (1.0 + self.rolloff)

    @property
    def table(self) -> tuple[Modcod, ...]:
        """MODCODs in use: ``modcods`` or the DVB-S2 table."""
        return DVBS2_MODCODS if self.modcods is None else self.modcods

    @property
    def fixed_losses_db(self) -> float:
        """Losses that do not change along a pass, dB: ``losses_db``, pointing and polarisation losses."""
        return self.losses_db + self.pointing_loss_db + self.polarization_loss_db

    def _cn0_at_unit_loss(self) -> float:
        return self.effective_eirp_dbw - self.fixed_losses_db + self.effective_g_over_t_dbk - BOLTZMANN_DBW_PER_K_HZ

    def attenuation_db(self, elevation_deg, station, *, lowest: bool = False) -> np.ndarray:
        """Atmospheric attenuation, dB, at each elevation (deg) seen from ``station``; 0 without ``atmosphere``.

        ``station`` is one ``access.Station`` (or anything with ``lat_deg``, ``lon_deg``, ``height_km`` and
        ``min_elevation_deg``) or a sequence of them, one per elevation. Interpolated in the station's table
        (``atmosphere.AttenuationTable``); with ``lowest`` the worst at that elevation or above.
        """
        el = np.asarray(elevation_deg, dtype=float)
        if self.atmosphere is None:
            return np.zeros(el.shape)
        if hasattr(station, "lat_deg"):
            table = self.atmosphere.table(self.frequency_hz, station)
            return table.worst_above(el) if lowest else table(el)
        flat = el.ravel()
        stations = list(station)
        if len(stations) != flat.size:
            raise ValueError(f"link budget: {len(stations)} stations for {flat.size} elevations")
        rows: dict[int, tuple[object, list[int]]] = {}
        for k, s in enumerate(stations):
            rows.setdefault(id(s), (s, []))[1].append(k)
        out = np.empty(flat.size)
        for s, idx in rows.values():
            out[idx] = self.attenuation_db(flat[idx], s, lowest=lowest)
        return out.reshape(el.shape)

    def _path_loss(self, range_km, elevation_deg, station, lowest: bool) -> np.ndarray:
        loss = fspl_db(range_km, self.frequency_hz)
        if self.atmosphere is None or station is None:
            return loss
        if elevation_deg is None:
            raise ValueError("link budget: the atmosphere needs the elevation along with the station")
        return loss + self.attenuation_db(elevation_deg, station, lowest=lowest)

    def cn0_dbhz(self, range_km, elevation_deg=None, station=None) -> np.ndarray:
        """Carrier to noise density, dB-Hz; with a station and elevations, after the atmosphere there."""
        return self._cn0_at_unit_loss() - self._path_loss(range_km, elevation_deg, station, False)

    def esn0_db(self, range_km, elevation_deg=None, station=None) -> np.ndarray:
        """Energy per symbol to noise density, dB (before the margin is taken off)."""
        return self.cn0_dbhz(range_km, elevation_deg, station) - 10.0 * math.log10(self.symbol_rate_baud)

    def rate_bps(self, range_km, elevation_deg=None, station=None, *, lowest: bool = False) -> np.ndarray:
        """Information rate, bit/s, at each range; 0 where the link does not close or is beyond ``range_limit_km``.

        With ``atmosphere``, a ground link's rate takes the station and the elevations there (as
        ``attenuation_db``); without a station the sky is clear. ``lowest`` takes the worst attenuation at each
        elevation or above: with the farthest range and lowest elevation of a pass, a rate the whole pass has.
        """
        cn0 = self._cn0_at_unit_loss() - self._path_loss(range_km, elevation_deg, station, lowest)
        if self.coding == "shannon":
            snr_db = cn0 - 10.0 * math.log10(self.bandwidth_hz) - self.margin_db
            rate = np.nan_to_num(shannon_capacity_bps(self.bandwidth_hz, snr_db), nan=0.0, posinf=np.inf)
        else:
            esn0 = cn0 - 10.0 * math.log10(self.symbol_rate_baud)
            rate = _efficiency(esn0 - self.margin_db, self.table) * self.symbol_rate_baud
        if self.max_rate_bps is not None:
            rate = np.minimum(rate, self.max_rate_bps)
        return _limited(rate, range_km, self.range_limit_km)

    def max_range_km(self) -> float:
        """Range beyond which the rate is 0 in clear sky, km: where the budget stops closing (inf for Shannon
        coding) or ``range_limit_km``, whichever is nearer.

        From FSPL in closed form: the lowest MODCOD closes while 20 log10(4 pi d f / c) <= L, with
        L = EIRP - losses + G/T - 10 log10(k) - 10 log10(Rs) - margin - min(required Es/N0), so
        d_max = c / (4 pi f) 10^(L / 20).
        """
        return min(math.inf if self.range_limit_km is None else self.range_limit_km, self._closing_range_km())

    def _closing_range_km(self) -> float:
        if self.coding == "shannon":
            return math.inf
        lowest = min(m.required_esn0_db for m in self.table)
        budget = self._cn0_at_unit_loss() - 10.0 * math.log10(self.symbol_rate_baud) - self.margin_db - lowest
        return C_KM_S / (4.0 * math.pi * self.frequency_hz) * 10.0 ** (budget / 20.0)

    def describe(self) -> str:
        """One line for people: band, coding, EIRP, G/T, losses, margin, peak rate and reach."""
        if self.coding == "shannon":
            coding = "Shannon capacity"
            peak = "" if self.max_rate_bps is None else f"; capped at {_format_rate(self.max_rate_bps)}"
            reach = ""
        else:
            coding = "DVB-S2" if self.modcods is None else f"{len(self.modcods)} MODCODs"
            coding += f", rolloff {self.rolloff:g}"
            top = max(m.efficiency_bits_per_symbol for m in self.table) * self.symbol_rate_baud
            if self.max_rate_bps is not None:
                top = min(top, self.max_rate_bps)
            peak = f"; up to {_format_rate(top)}"
            reach = f", closes to {self._closing_range_km():,.0f} km"
        losses = f"losses {self.losses_db:g} dB"
        for name, value in (("pointing", self.pointing_loss_db), ("polarisation", self.polarization_loss_db)):
            if value:
                losses += f" + {name} {value:g} dB"
        sky = "" if self.atmosphere is None else f"; {self.atmosphere.describe()}"
        if self.range_limit_km is not None:
            sky += f"; linked up to {self.range_limit_km:,.0f} km"
        return (f"link budget {_format_hz(self.frequency_hz)} in {_format_hz(self.bandwidth_hz)} ({coding}): "
                f"EIRP {self.effective_eirp_dbw:.1f} dBW, G/T {self.effective_g_over_t_dbk:.1f} dB/K, "
                f"{losses}, margin {self.margin_db:g} dB{peak}{reach}{sky}")


LinkModel = FixedRate | LinkBudget
"""Any link model: each has ``rate_bps(range_km, elevation_deg=None, station=None, *, lowest=False)``,
``max_range_km()`` and ``describe()``."""

_BUDGET_FIELDS = (
    "frequency_hz", "bandwidth_hz", "eirp_dbw", "tx_power_w", "tx_gain_dbi", "g_over_t_dbk", "rx_gain_dbi",
    "system_noise_temperature_k", "losses_db", "margin_db", "coding", "rolloff", "max_rate_bps", "modcods",
    "pointing_loss_db", "polarization_loss_db", "atmosphere", "range_limit_km",
)


def link_model_from_dict(d: dict) -> LinkModel:
    """A link model from plain data: ``kind: fixed`` with ``rate_bps`` (and ``range_limit_km``), or ``kind: budget``
    with LinkBudget's fields (``atmosphere`` as a mapping of ``Atmosphere``'s fields).

    Numbers may be numeric strings ("8.2e9"), as YAML 1.1 reads exponents without a sign; units are not parsed.
    """
    if not isinstance(d, dict):
        raise ValueError(f"link: expected a mapping with kind 'fixed' or 'budget' (got {type(d).__name__})")
    if "kind" not in d:
        raise ValueError("link: kind is required ('fixed' or 'budget')")
    kind = d["kind"]
    fields = {k: v for k, v in d.items() if k != "kind"}
    if kind == "fixed":
        where, allowed, required = "fixed rate", ("rate_bps", "range_limit_km"), ("rate_bps",)
    elif kind == "budget":
        where, allowed, required = "link budget", _BUDGET_FIELDS, ("frequency_hz", "bandwidth_hz")
    else:
        raise ValueError(f"link: kind must be 'fixed' or 'budget' (got {kind!r})")
    unknown = [k for k in fields if k not in allowed]
    if unknown:
        raise ValueError(f"{where}: unknown field{'s' if len(unknown) > 1 else ''} "
                         f"{', '.join(map(repr, unknown))} (expected {', '.join(allowed)})")
    missing = [k for k in required if fields.get(k) is None]
    if missing:
        raise ValueError(f"{where}: {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} required")
    if kind == "fixed":
        return FixedRate(fields["rate_bps"], range_limit_km=fields.get("range_limit_km"))
    return LinkBudget(**{k: v for k, v in fields.items() if v is not None})
