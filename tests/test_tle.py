"""TLE parsing and SGP4 propagation against the published SGP4 verification set (Vallado et al. 2006, AIAA
2006-6753): ``SGP4-VER.TLE`` and the reference C++ output ``tcppver.out``, both shipped inside the sgp4 package."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import sgp4
from constellation.orbits import TLEError, parse_tles
from constellation.orbits.tle import sgp4_teme

DATA = Path(sgp4.__file__).parent

# ISS element set used in skyfield's own tests (valid checksums).
ISS = (
    "1 25544U 98067A   18184.80969102  .00001614  00000-0  31745-4 0  9993",
    "2 25544  51.6414 295.8524 0003435 262.6267 204.2868 15.54005638121106",
)


def verification_cases():
    """(line1, line2, rows) for every case in SGP4-VER.TLE, rows = [tsince_min, x, y, z, vx, vy, vz] from
    tcppver.out (TEME, km and km/s). Cases are matched in file order: a catalogue number may appear twice."""
    tle_lines = (DATA / "SGP4-VER.TLE").read_text().splitlines()
    pairs = [(ln, tle_lines[i + 1]) for i, ln in enumerate(tle_lines) if ln.startswith("1 ")]
    blocks = []
    for ln in (DATA / "tcppver.out").read_text().replace("\r", "").splitlines():
        if ln.rstrip().endswith("xx"):
            blocks.append((int(ln.split()[0]), []))
        elif ln.strip():
            blocks[-1][1].append([float(x) for x in ln.split()[:7]])
    assert len(pairs) == len(blocks)
    out = []
    for (l1, l2), (satnum, rows) in zip(pairs, blocks):
        assert int(l1[2:7]) == satnum
        out.append((l1, l2[:69], np.array(rows)))
    return out


def test_sgp4_matches_published_verification_vectors():
    """sgp4_teme against tcppver.out for every verification case whose lines carry valid checksums (30 cases,
    near-Earth and deep-space, 588 epochs from -5184 to +1.84 million minutes after the TLE epoch).

    Tolerance: 2e-7 km (0.2 mm) in position and 1e-9 km/s in velocity. The file prints positions to 1e-8 km and
    velocities to 1e-9 km/s (rounding 5e-9 km, 5e-10 km/s), and sgp4_teme takes a two-part Julian date, which over
    the 3.5-year case (20413) rounds tsince by ~2e-8 s: 0.16 mm at km/s speeds. The sgp4 package's own JD-based test
    uses the same 2e-7 km. Measured: 0.005 mm (all cases but one), 0.159 mm (20413 at +1.84e6 min); 5.0e-10 km/s.
    The three cases 33333-33335 (error-code checks) have wrong checksums in the file and are refused by parse_tles
    (see test_parse_rejects_the_verification_cases_with_bad_checksums).
    """
    compared = 0
    for l1, l2, rows in verification_cases():
        if int(l1[2:7]) in (33333, 33334, 33335):
            continue
        [tle] = parse_tles(f"{l1}\n{l2}\n")
        sat = tle.satrec()
        r, v = sgp4_teme([sat], sat.jdsatepoch, sat.jdsatepochF + rows[:, 0] / 1440.0)
        assert not np.isnan(r).any(), f"{l1[2:7]}: SGP4 failed where the reference has values"
        dr = np.abs(r[0] - rows[:, 1:4]).max()
        dv = np.abs(v[0] - rows[:, 4:7]).max()
        assert dr < 2e-7, f"{l1[2:7]}: position differs from tcppver.out by {dr * 1e6:.3f} mm"
        assert dv < 1e-9, f"{l1[2:7]}: velocity differs from tcppver.out by {dv * 1e6:.4f} mm/s"
        compared += len(rows)
    assert compared == 588


def test_sgp4_teme_grid_shape_and_decay_gives_nan():
    """Several satellites x several epochs give (S, T, 3); epochs where SGP4 reports an error come back as NaN.
    Case 28872 of the verification set decays (error 6) after 50 min in tcppver.out, whose last line is +50 min."""
    cases = {int(l1[2:7]): (l1, l2, rows) for l1, l2, rows in verification_cases()}
    tles = [parse_tles(f"{cases[n][0]}\n{cases[n][1]}")[0] for n in (28872, 6251)]
    sats = [t.satrec() for t in tles]
    jd1 = sats[0].jdsatepoch
    jd2 = sats[0].jdsatepochF + np.array([0.0, 40.0, 2000.0]) / 1440.0
    r, v = sgp4_teme(sats, jd1, jd2)
    assert r.shape == v.shape == (2, 3, 3)
    assert np.isfinite(r[0, :2]).all() and np.isnan(r[0, 2]).all() and np.isnan(v[0, 2]).all()
    assert np.isfinite(r[1]).all()


def test_parse_rejects_the_verification_cases_with_bad_checksums():
    """Cases 33333-33335 of SGP4-VER.TLE carry checksums that do not match their lines (sgp4.io.compute_checksum):
    parse_tles must refuse them, pointing at line 1."""
    for l1, l2, _ in verification_cases():
        if int(l1[2:7]) in (33333, 33334, 33335):
            with pytest.raises(TLEError) as info:
                parse_tles(f"{l1}\n{l2}\n")
            assert info.value.line == 1 and "checksum" in str(info.value)


def with_checksum(line):
    from sgp4.io import compute_checksum

    return line[:68] + str(compute_checksum(line))


def test_parse_three_line_and_two_line_sets_with_blank_lines():
    """Name lines (plain or '0 NAME'), blank lines between sets, trailing spaces: all accepted."""
    text = f"\nISS (ZARYA)   \n{ISS[0]}\n{ISS[1]}\n\n0 ISS AGAIN\n{ISS[0]}  \n{ISS[1]}\n{ISS[0]}\n{ISS[1]}\n"
    tles = parse_tles(text)
    assert [t.name for t in tles] == ["ISS (ZARYA)", "ISS AGAIN", "NORAD 25544"]
    assert all(t.line1 == ISS[0] and t.line2 == ISS[1] for t in tles)


def test_bad_checksum_is_reported_with_its_line_number():
    """A wrong checksum digit on TLE line 2, which is the 4th line of the text (name, blank, line 1, line 2)."""
    bad2 = ISS[1][:68] + str((int(ISS[1][68]) + 1) % 10)
    with pytest.raises(TLEError) as info:
        parse_tles(f"ISS\n\n{ISS[0]}\n{bad2}\n")
    assert info.value.line == 4
    assert "checksum" in str(info.value)
    bad1 = ISS[0][:68] + str((int(ISS[0][68]) + 3) % 10)
    with pytest.raises(TLEError) as info:
        parse_tles(f"{bad1}\n{ISS[1]}\n")
    assert info.value.line == 1


def test_short_line_is_reported_with_its_line_number():
    """A line cut to 60 characters (checksum column 69 missing): the error names that line."""
    with pytest.raises(TLEError) as info:
        parse_tles(f"ISS\n{ISS[0]}\n{ISS[1][:60]}\n")
    assert info.value.line == 3
    assert "69" in str(info.value)
    with pytest.raises(TLEError) as info:
        parse_tles(f"{ISS[0][:50]}\n{ISS[1]}\n")
    assert info.value.line == 1


def test_catalogue_number_mismatch_is_reported_on_line_2():
    """Line 2 of another satellite (valid checksum) after ISS line 1: the catalogue numbers differ; the error points
    at the line-2 row of the text."""
    other = with_checksum("2 25545" + ISS[1][7:])
    with pytest.raises(TLEError) as info:
        parse_tles(f"{ISS[0]}\n{ISS[1]}\nNEXT\n{ISS[0]}\n{other}\n")
    assert info.value.line == 5
    assert "25544" in str(info.value) and "25545" in str(info.value)


def test_truncated_and_swapped_sets_are_refused():
    """A name line with nothing after it, a line 1 without its line 2, and the two lines swapped."""
    with pytest.raises(TLEError) as info:
        parse_tles(f"{ISS[0]}\n{ISS[1]}\nLONELY NAME\n")
    assert info.value.line == 3
    with pytest.raises(TLEError) as info:
        parse_tles(f"{ISS[0]}\n")
    assert info.value.line == 1
    with pytest.raises(TLEError):
        parse_tles(f"{ISS[1]}\n{ISS[0]}\n")
    with pytest.raises(TLEError):
        parse_tles("\n\n")
