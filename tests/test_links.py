"""Link models against textbook formulas, a published link budget and the DVB-S2 standard's tables."""

from __future__ import annotations

import dataclasses
import math
import subprocess
import sys

import numpy as np
import pytest

from constellation.links import (
    DVBS2_MODCODS,
    FixedRate,
    LinkBudget,
    Modcod,
    best_modcod,
    fspl_db,
    link_model_from_dict,
    propagation_delay_s,
    shannon_capacity_bps,
)

K_BOLTZMANN = 1.380649e-23  # J/K, exact since the 2019 SI redefinition
C_M_S = 299_792_458.0  # m/s, exact by definition of the metre


def textbook_fspl_db(d_km, f_ghz):
    """The Sklar / Pratt-Bostian-Allnutt form: Lp = 92.45 + 20 log10(d / km) + 20 log10(f / GHz)."""
    return 92.45 + 20 * np.log10(d_km) + 20 * np.log10(f_ghz)


def linear_cn0_dbhz(eirp_w, g_over_t_per_k, loss_factor, d_km, f_hz):
    """C/N0 in SI units first, dB last: EIRP (G/T) / (L (4 pi d / lambda)^2 k), d in metres."""
    wavelength_m = C_M_S / f_hz
    spreading = (4 * math.pi * d_km * 1000.0 / wavelength_m) ** 2
    return 10 * math.log10(eirp_w * g_over_t_per_k / (loss_factor * spreading * K_BOLTZMANN))


# An X-band LEO downlink used by several tests: 2 W into a 6 dBi patch, 2 dB of atmospheric and pointing loss,
# a ground station with G/T 31 dB/K, 100 MHz at rolloff 0.2, 3 dB implementation margin.
def leo_downlink(**changes) -> LinkBudget:
    params = dict(tx_power_w=2.0, tx_gain_dbi=6.0, g_over_t_dbk=31.0, losses_db=2.0, margin_db=3.0)
    params.update(changes)
    return LinkBudget(8.2e9, 100e6, **params)


# --- free-space path loss and delay ------------------------------------------------------------------------


def test_fspl_one_km_one_ghz_is_the_textbook_constant():
    # Source: Sklar, Digital Communications, and Pratt, Bostian & Allnutt, Satellite Communications: 92.45 dB at
    # 1 km and 1 GHz. Tolerance 0.01 dB (the constant is printed to 0.01 dB; the exact value is 92.4478 dB).
    assert float(fspl_db(1.0, 1e9)) == pytest.approx(92.45, abs=0.01)


def test_fspl_geo_at_12_ghz():
    # GEO at zenith (35,786 km) at 12 GHz: 205.1 dB in the textbooks. Tolerance 0.01 dB.
    assert float(fspl_db(35_786.0, 12e9)) == pytest.approx(205.1, abs=0.01)
    assert float(fspl_db(35_786.0, 12e9)) == pytest.approx(float(textbook_fspl_db(35_786.0, 12.0)), abs=0.01)


def test_fspl_leo_x_band_and_broadcasting():
    # 1000 km at 8.2 GHz and a sweep of ranges against the textbook formula; 0.01 dB. The MHz form of the same
    # constant (32.45 dB, d in km, f in MHz) is checked too.
    d = np.array([500.0, 1000.0, 2500.0, 40_000.0])
    got = fspl_db(d, 8.2e9)
    assert got.shape == d.shape
    np.testing.assert_allclose(got, textbook_fspl_db(d, 8.2), atol=0.01)
    assert float(fspl_db(1000.0, 8.2e9)) == pytest.approx(32.45 + 20 * math.log10(8200.0) + 60.0, abs=0.01)


def test_propagation_delay_light_second_and_geo():
    # c = 299,792.458 km/s exactly (SI): 1 light-second is 1 s, to 1e-15 relative. GEO at zenith: 119.37 ms
    # (the 'about 120 ms one-way' of every satcom text), to 0.01 ms.
    assert float(propagation_delay_s(299_792.458)) == pytest.approx(1.0, rel=1e-15)
    assert float(propagation_delay_s(35_786.0)) == pytest.approx(0.11937, abs=1e-5)
    np.testing.assert_allclose(propagation_delay_s([0.0, 299_792.458 * 2]), [0.0, 2.0], rtol=1e-15)


# --- Shannon ------------------------------------------------------------------------------------------------


def test_shannon_capacity_textbook_values():
    # C = B log2(1 + S/N): 1 MHz at 0 dB (S/N = 1) carries 1 Mbit/s; at 30 dB (S/N = 1000) 9.967 Mbit/s.
    # Exact to 1e-9 relative against log2 by hand; the printed 9.967 Mbit/s to its 4 figures.
    assert float(shannon_capacity_bps(1e6, 0.0)) == pytest.approx(1e6, rel=1e-9)
    assert float(shannon_capacity_bps(1e6, 30.0)) == pytest.approx(1e6 * math.log2(1001.0), rel=1e-9)
    assert float(shannon_capacity_bps(1e6, 30.0)) == pytest.approx(9.967e6, rel=1e-4)
    np.testing.assert_allclose(shannon_capacity_bps(1e6, [0.0, 30.0]), [1e6, 1e6 * math.log2(1001.0)], rtol=1e-9)


# --- a worked link budget -----------------------------------------------------------------------------------


def test_published_x_band_budget_fcc_schedule_s():
    # Source: FCC IBFS filing SAT-MOD-20080204-00036, Schedule S 'Link Budget for Telecommand at X band'
    # (https://fcc.report/IBFS/SAT-MOD-20080204-00036/619855): uplink EIRP 61.7 dBW at 7026 MHz, zenith to GEO
    # (path loss 200.5 dB = 35,786 km), 0.1 dB atmospheric absorption, 20 dBi receive gain, 3300 K, 440 kHz:
    # "61.7 - 200.5 - 0.1 + 20 - 10 log(3300) + 228.6 - 10 log(440000) = 18.1 dB".
    # Tolerance 0.05 dB: the filing rounds path loss and C/N to 0.1 dB.
    link = LinkBudget(7.026e9, 440e3, eirp_dbw=61.7, rx_gain_dbi=20.0, system_noise_temperature_k=3300.0,
                      losses_db=0.1, coding="shannon")
    assert float(fspl_db(35_786.0, 7.026e9)) == pytest.approx(200.5, abs=0.05)
    cn_db = float(link.cn0_dbhz(35_786.0)) - 10 * math.log10(440e3)
    assert cn_db == pytest.approx(18.1, abs=0.05)
    # Same budget by hand in linear SI units (k = 1.380649e-23 J/K, d in metres): 1e-9 dB, both sides exact.
    by_hand = linear_cn0_dbhz(10 ** 6.17, 10 ** 2.0 / 3300.0, 10 ** 0.01, 35_786.0, 7.026e9)
    assert float(link.cn0_dbhz(35_786.0)) == pytest.approx(by_hand, abs=1e-9)


def test_leo_x_band_downlink_cn0_two_ways():
    # C/N0 = EIRP - FSPL - L + G/T + 228.6 (the textbook dB form with k rounded to -228.6 dBW/K/Hz) and the same
    # in linear SI units with k = 1.380649e-23; tolerance 0.01 dB (the rounding of k is worth 0.0009 dB).
    link = leo_downlink()
    eirp_dbw = 10 * math.log10(2.0) + 6.0
    for d_km in (600.0, 1000.0, 2500.0):
        db_form = eirp_dbw - float(textbook_fspl_db(d_km, 8.2)) - 2.0 + 31.0 + 228.6
        linear = linear_cn0_dbhz(2.0 * 10 ** 0.6, 10 ** 3.1, 10 ** 0.2, d_km, 8.2e9)
        got = float(link.cn0_dbhz(d_km))
        assert got == pytest.approx(db_form, abs=0.01)
        assert got == pytest.approx(linear, abs=0.01)
        # Es/N0 takes off the symbol rate: 100 MHz / 1.2 = 83.33 Msym/s. Exact to 1e-9 dB.
        assert float(link.esn0_db(d_km)) == pytest.approx(got - 10 * math.log10(100e6 / 1.2), abs=1e-9)


def test_eirp_and_g_over_t_forms_agree():
    # 2 W into 6 dBi is 9.0103 dBW; 45 dBi over 200 K is 21.9897 dB/K. Same C/N0 either way, to 1e-9 dB.
    parts = LinkBudget(8.2e9, 100e6, tx_power_w=2.0, tx_gain_dbi=6.0, rx_gain_dbi=45.0,
                       system_noise_temperature_k=200.0)
    whole = LinkBudget(8.2e9, 100e6, eirp_dbw=10 * math.log10(2.0) + 6.0,
                       g_over_t_dbk=45.0 - 10 * math.log10(200.0))
    d = np.array([700.0, 1500.0])
    np.testing.assert_allclose(parts.cn0_dbhz(d), whole.cn0_dbhz(d), atol=1e-9)


# --- DVB-S2 -------------------------------------------------------------------------------------------------

# ETSI EN 302 307-1 Table 5a: BCH information bits K_bch per code rate, normal FECFRAME (64,800 bits).
K_BCH = {"1/4": 16008, "1/3": 21408, "2/5": 25728, "1/2": 32208, "3/5": 38688, "2/3": 43040, "3/4": 48408,
         "4/5": 51648, "5/6": 53840, "8/9": 57472, "9/10": 58192}
BITS = {"QPSK": 2, "8PSK": 3, "16APSK": 4, "32APSK": 5}


def test_dvbs2_rows_match_table_13():
    # ETSI EN 302 307-1 Table 13 (ideal Es/N0, normal FECFRAME, AWGN): exact as printed (2 and 6 decimals).
    rows = {m.name: m for m in DVBS2_MODCODS}
    assert len(DVBS2_MODCODS) == 28 and len(rows) == 28
    for name, esn0, eff in (("QPSK 1/4", -2.35, 0.490243), ("8PSK 3/4", 7.91, 2.228124),
                            ("32APSK 9/10", 16.05, 4.453027), ("16APSK 2/3", 8.97, 2.637201),
                            ("QPSK 9/10", 6.42, 1.788612)):
        assert rows[name].required_esn0_db == esn0
        assert rows[name].efficiency_bits_per_symbol == eff


def test_dvbs2_efficiencies_follow_from_the_frame_structure():
    # Independent derivation from the standard's frame structure: (K_bch - 80 BBHEADER bits) information bits per
    # PLFRAME of 64800 / log2(M) symbols + 90 PLHEADER symbols, no pilots. Agrees with every row of Table 13 to
    # its printed 6 decimals (5e-7).
    for m in DVBS2_MODCODS:
        modulation, rate = m.name.split()
        derived = (K_BCH[rate] - 80) / (64800 / BITS[modulation] + 90)
        assert m.efficiency_bits_per_symbol == pytest.approx(derived, abs=5e-7), m.name


def test_dvbs2_table_is_ordered_by_efficiency():
    eff = [m.efficiency_bits_per_symbol for m in DVBS2_MODCODS]
    assert all(b > a for a, b in zip(eff, eff[1:]))
    assert DVBS2_MODCODS[0].name == "QPSK 1/4" and DVBS2_MODCODS[-1].name == "32APSK 9/10"


def test_best_modcod_picks_the_most_efficient_met():
    assert best_modcod(-2.36) is None
    assert best_modcod(float("nan")) is None
    assert best_modcod(-2.35).name == "QPSK 1/4"  # a threshold exactly met counts
    # At 6.3 dB both QPSK 8/9 (6.20 dB, 1.766) and 8PSK 3/5 (5.50 dB, 1.780) close: the more efficient wins.
    assert best_modcod(6.3).name == "8PSK 3/5"
    assert best_modcod(10.5).name == "16APSK 3/4"  # beats 8PSK 5/6 (9.35 dB) and 16APSK 2/3 (8.97 dB)
    assert best_modcod(40.0).name == "32APSK 9/10"
    # Brute force over a fine grid: the choice is the max-efficiency row among those met.
    for x in np.arange(-3.0, 17.0, 0.01):
        met = [m for m in DVBS2_MODCODS if m.required_esn0_db <= x]
        expect = max(met, key=lambda m: m.efficiency_bits_per_symbol) if met else None
        assert best_modcod(x) == expect


def test_rate_steps_down_and_stops_at_max_range():
    link = leo_downlink()
    d_max = link.max_range_km()
    d = np.geomspace(300.0, 2.0 * d_max, 3000)
    rate = link.rate_bps(d)
    assert np.all(np.diff(rate) <= 0.0)
    steps = set(np.unique(rate[rate > 0]).tolist())
    allowed = {m.efficiency_bits_per_symbol * 100e6 / 1.2 for m in DVBS2_MODCODS}
    assert len(steps) > 10 and all(any(math.isclose(s, a, rel_tol=1e-12) for a in allowed) for s in steps)
    assert np.all(rate[d > d_max] == 0.0) and np.all(rate[d < d_max] > 0.0)
    # At 1000 km by hand: Es/N0 - margin = 13.677 dB, so 32APSK 4/5 (13.64 dB) at 3.951571 x 83.33 Msym/s.
    assert float(link.rate_bps(1000.0)) == pytest.approx(3.951571 * 100e6 / 1.2, rel=1e-12)


def test_max_range_matches_a_bisection_of_the_rate():
    # Bisection of rate_bps(d) > 0 to 1e-12 relative; the closed form must agree to 1e-9 relative.
    for link in (leo_downlink(), leo_downlink(margin_db=0.0, losses_db=5.0, rolloff=0.35),
                 leo_downlink(modcods=[("BPSK 1/2", 1.5, 0.5), ("QPSK 1/2", 4.5, 1.0)])):
        lo, hi = 1.0, 1e6
        assert link.rate_bps(lo) > 0 and link.rate_bps(hi) == 0
        while hi - lo > 1e-12 * hi:
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if link.rate_bps(mid) > 0 else (lo, mid)
        assert link.max_range_km() == pytest.approx(lo, rel=1e-9)


def test_margin_shrinks_range_by_its_amplitude_ratio():
    # FSPL grows 20 dB per decade, so 3 dB more margin divides the reach by 10^(3/20) = 1.4125. 1e-12 relative.
    ratio = leo_downlink(margin_db=0.0).max_range_km() / leo_downlink(margin_db=3.0).max_range_km()
    assert ratio == pytest.approx(10 ** (3 / 20), rel=1e-12)


def test_custom_modcods_and_rate_cap():
    # Two-row table by hand: Rs = 83.33 Msym/s; at Es/N0 - margin of 2 dB only 'BPSK 1/2' closes.
    table = [("BPSK 1/2", 1.5, 0.5), {"name": "QPSK 1/2", "required_esn0_db": 4.5, "efficiency_bits_per_symbol": 1.0}]
    link = leo_downlink(modcods=table)
    assert link.modcods == (Modcod("BPSK 1/2", 1.5, 0.5), Modcod("QPSK 1/2", 4.5, 1.0))
    d_2db = 1000.0 * 10 ** ((float(link.esn0_db(1000.0)) - 3.0 - 2.0) / 20)  # where Es/N0 - margin = 2 dB
    assert float(link.rate_bps(d_2db)) == pytest.approx(0.5 * 100e6 / 1.2, rel=1e-12)
    assert float(link.rate_bps(300.0)) == pytest.approx(1.0 * 100e6 / 1.2, rel=1e-12)
    capped = leo_downlink(max_rate_bps=200e6)
    np.testing.assert_array_equal(capped.rate_bps([300.0, 1000.0]), [200e6, 200e6])
    assert float(capped.rate_bps(3000.0)) == float(leo_downlink().rate_bps(3000.0)) < 200e6


def test_shannon_link_rate_by_hand_and_unbounded_reach():
    # SNR = C/N0 - 10 log10(B) - margin; rate = B log2(1 + SNR), to 1e-12 relative. Never 0: reach is inf.
    link = leo_downlink(coding="shannon")
    d = np.array([800.0, 5000.0, 100_000.0])
    snr = 10 ** ((link.cn0_dbhz(d) - 80.0 - 3.0) / 10)
    np.testing.assert_allclose(link.rate_bps(d), 100e6 * np.log2(1 + snr), rtol=1e-12)
    assert link.max_range_km() == math.inf and np.all(link.rate_bps(d) > 0)


def test_fixed_rate():
    link = FixedRate(100e6)
    np.testing.assert_array_equal(link.rate_bps([1.0, 1e5]), [100e6, 100e6])
    assert link.rate_bps(np.zeros((2, 3))).shape == (2, 3)
    assert link.max_range_km() == math.inf
    assert link.describe() == "fixed 100 Mbit/s at any range"
    assert eval(repr(link)) == link  # noqa: S307 - the repr is the constructor call


def test_models_are_frozen_hashable_and_described():
    link = leo_downlink()
    with pytest.raises(dataclasses.FrozenInstanceError):
        link.margin_db = 0.0
    assert hash(link) == hash(leo_downlink()) and link == leo_downlink()
    text = link.describe()
    assert "8.2 GHz" in text and "DVB-S2" in text and "371.1 Mbit/s" in text and "km" in text


def test_import_does_not_load_astropy():
    code = "import sys, constellation.links; print('astropy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- from plain data ----------------------------------------------------------------------------------------


def test_link_model_from_dict_builds_both_kinds():
    assert link_model_from_dict({"kind": "fixed", "rate_bps": 5e6}) == FixedRate(5e6)
    # YAML 1.1 reads 8.2e9 as a string; numeric strings are accepted.
    d = {"kind": "budget", "frequency_hz": "8.2e9", "bandwidth_hz": 100e6, "tx_power_w": 2, "tx_gain_dbi": 6,
         "g_over_t_dbk": 31, "losses_db": 2, "margin_db": 3, "max_rate_bps": None}
    assert link_model_from_dict(d) == leo_downlink()
    d = {"kind": "budget", "frequency_hz": 8.2e9, "bandwidth_hz": 100e6, "eirp_dbw": 9, "g_over_t_dbk": 31,
         "modcods": [["A", 0.0, 1.0], ["B", 5.0, 2.0]]}
    assert link_model_from_dict(d).modcods == (Modcod("A", 0.0, 1.0), Modcod("B", 5.0, 2.0))


BUDGET = {"frequency_hz": 8.2e9, "bandwidth_hz": 100e6, "eirp_dbw": 9.0, "g_over_t_dbk": 31.0}


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"kind": "fixed", "rate_bps": 0}, r"fixed rate: rate_bps must be > 0 \(got 0\)"),
        ({"kind": "fixed", "rate_bps": -1e6}, r"rate_bps must be > 0"),
        ({"kind": "fixed"}, r"fixed rate: rate_bps is required"),
        ({"kind": "fixed", "rate_bps": True}, r"rate_bps must be a number"),
        ({"rate_bps": 1e6}, r"kind is required"),
        ({"kind": "laser", "rate_bps": 1e6}, r"kind must be 'fixed' or 'budget' \(got 'laser'\)"),
        ({"kind": "budget", **BUDGET, "bandwidth_hz": -5}, r"link budget: bandwidth_hz must be > 0 \(got -5\)"),
        ({"kind": "budget", **BUDGET, "frequency_hz": 0}, r"link budget: frequency_hz must be > 0 \(got 0\)"),
        ({"kind": "budget", **BUDGET, "frequency_hz": "8.2 GHz"}, r"frequency_hz must be a number"),
        ({"kind": "budget", **BUDGET, "eirp_dbw": float("nan")}, r"eirp_dbw must be finite"),
        ({"kind": "budget", **BUDGET, "coding": "turbo"}, r"coding must be 'dvb-s2' or 'shannon' \(got 'turbo'\)"),
        ({"kind": "budget", **BUDGET, "rolloff": 1.5}, r"rolloff must be in \[0, 1\]"),
        ({"kind": "budget", **BUDGET, "losses_db": -1}, r"losses_db must be >= 0"),
        ({"kind": "budget", **BUDGET, "margin_db": -1}, r"margin_db must be >= 0"),
        ({"kind": "budget", **BUDGET, "max_rate_bps": 0}, r"max_rate_bps must be > 0"),
        ({"kind": "budget", **BUDGET, "frequncy_hz": 1e9}, r"unknown field 'frequncy_hz'"),
        ({"kind": "budget", "bandwidth_hz": 1e6, "eirp_dbw": 9, "g_over_t_dbk": 31}, r"frequency_hz is required"),
        ({"kind": "budget", **BUDGET, "eirp_dbw": None}, r"eirp_dbw is required \(or tx_power_w and tx_gain_dbi\)"),
        ({"kind": "budget", **BUDGET, "eirp_dbw": None, "tx_power_w": 2}, r"tx_gain_dbi is required with tx_power_w"),
        ({"kind": "budget", **BUDGET, "eirp_dbw": None, "tx_power_w": -2, "tx_gain_dbi": 6},
         r"tx_power_w must be > 0 \(got -2\)"),
        ({"kind": "budget", **BUDGET, "tx_power_w": 2, "tx_gain_dbi": 6}, r"eirp_dbw or tx_power_w .* not both"),
        ({"kind": "budget", **BUDGET, "g_over_t_dbk": None}, r"g_over_t_dbk is required"),
        ({"kind": "budget", **BUDGET, "g_over_t_dbk": None, "rx_gain_dbi": 40},
         r"system_noise_temperature_k is required with rx_gain_dbi"),
        ({"kind": "budget", **BUDGET, "g_over_t_dbk": None, "rx_gain_dbi": 40, "system_noise_temperature_k": 0},
         r"system_noise_temperature_k must be > 0"),
        ({"kind": "budget", **BUDGET, "rx_gain_dbi": 40}, r"g_over_t_dbk or rx_gain_dbi .* not both"),
        ({"kind": "budget", **BUDGET, "coding": "shannon", "modcods": [["A", 0, 1]]},
         r"modcods applies only to coding 'dvb-s2'"),
        ({"kind": "budget", **BUDGET, "modcods": []}, r"modcods must not be empty"),
        ({"kind": "budget", **BUDGET, "modcods": [["A", 0, -1]]},
         r"modcods\[0\]\.efficiency_bits_per_symbol must be > 0"),
        ({"kind": "budget", **BUDGET, "modcods": [["A", 0]]}, r"modcods\[0\] must be \(name, required_esn0_db"),
        ({"kind": "budget", **BUDGET, "modcods": [{"name": "A", "required_esn0_db": 0}]},
         r"modcods\[0\] is missing efficiency_bits_per_symbol"),
    ],
)
def test_bad_inputs_name_the_field(data, match):
    with pytest.raises(ValueError, match=match):
        link_model_from_dict(data)


def test_bad_inputs_to_the_constructors_directly():
    with pytest.raises(ValueError, match=r"link budget: bandwidth_hz must be > 0 \(got -5\)"):
        LinkBudget(8.2e9, -5, eirp_dbw=9.0, g_over_t_dbk=31.0)
    with pytest.raises(ValueError, match=r"fixed rate: rate_bps must be > 0 \(got -1\)"):
        FixedRate(-1)
    with pytest.raises(ValueError, match=r"link: expected a mapping"):
        link_model_from_dict([("kind", "fixed")])
