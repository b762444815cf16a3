"""OMM element sets (XML, KVN, JSON, CSV) and Alpha-5 TLEs: the same Satrec and states as the TLE of the same
element set, nine-digit catalog numbers kept, every bad input refused with the record and the field named.

Sources: CelesTrak's published OMM of MARIO (NORAD 55123) as XML and CSV, with its TLE, and the TLE of VANGUARD 1,
all as the sgp4 package's own tests carry them (``sgp4.tests``); the KVN and JSON renderings of MARIO are written
here from the CCSDS 502.0-B-3 layout and CelesTrak's JSON layout, with the same values.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from sgp4 import tests as sgp4_tests
from sgp4.api import Satrec
from sgp4.io import compute_checksum
from typer.testing import CliRunner

from constellation.cli import app
from constellation.orbits import OMM, TLE, Fleet, Member, OMMError, load_omm, parse_omm, parse_tles
from constellation.scenario import BUNDLED_DIR, Scenario, ScenarioError, load_scenario

MARIO_TLE = sgp4_tests.MARIO_TLE.splitlines()
MARIO_FIELDS = dict(zip(*[row.split(",") for row in sgp4_tests.MARIO_CSV.splitlines()]))

MARIO_KVN = """\
CCSDS_OMM_VERS = 3.0
COMMENT written from CelesTrak's MARIO element set
CREATION_DATE = 2023-04-25T12:00:00
ORIGINATOR = TEST
OBJECT_NAME = MARIO
OBJECT_ID = 1998-067UQ
CENTER_NAME = EARTH
REF_FRAME = TEME
TIME_SYSTEM = UTC
MEAN_ELEMENT_THEORY = SGP4
EPOCH = 2023-115T10:45:30.642912
MEAN_MOTION = 15.99081912 [rev/day]
ECCENTRICITY = .0014649
INCLINATION = 51.6242 [deg]
RA_OF_ASC_NODE = 216.2930 [deg]
ARG_OF_PERICENTER = 331.8976 [deg]
MEAN_ANOMALY = 28.1241 [deg]
EPHEMERIS_TYPE = 0
CLASSIFICATION_TYPE = U
NORAD_CAT_ID = 55123
ELEMENT_SET_NO = 999
REV_AT_EPOCH = 1839
BSTAR = .1568E-2 [1/ER]
MEAN_MOTION_DOT = .787702E-2 [rev/day**2]
MEAN_MOTION_DDOT = .29408E-3 [rev/day**3]
"""


def mario_json(**changes) -> str:
    record = {k: (v if k in ("OBJECT_NAME", "OBJECT_ID", "EPOCH", "CLASSIFICATION_TYPE") else float(v))
              for k, v in MARIO_FIELDS.items()}
    record.update(changes)
    return json.dumps([{k: v for k, v in record.items() if v is not None}])


def satrec_attributes(sat) -> dict:
    return {k: getattr(sat, k) for k in dir(sat) if not k.startswith("_") and not callable(getattr(sat, k))}


@pytest.mark.parametrize("fmt", ["xml", "kvn", "json", "csv"])
def test_every_rendering_gives_the_tles_satrec(fmt):
    """Every attribute of the Satrec equals the TLE's (sgp4's own OMM test compares the same way)."""
    text = {"xml": sgp4_tests.MARIO_XML, "kvn": MARIO_KVN, "json": mario_json(), "csv": sgp4_tests.MARIO_CSV}[fmt]
    (omm,) = parse_omm(text)
    assert (omm.name, omm.norad_id, omm.object_id) == ("MARIO", 55123, "1998-067UQ")
    assert omm.epoch == "2023-04-25T10:45:30.642912"
    assert satrec_attributes(omm.satrec()) == satrec_attributes(Satrec.twoline2rv(MARIO_TLE[1], MARIO_TLE[2]))
    assert parse_omm(text, fmt) == [omm]


def test_omm_and_tle_fly_together_for_a_day():
    """Propagated a day in one Fleet (SGP4, then TEME -> ITRS): the OMM satellite and the TLE satellite are within
    1 mm of each other at every minute (they share every Satrec attribute, so they agree exactly)."""
    (omm,) = parse_omm(sgp4_tests.MARIO_XML)
    (tle,) = parse_tles(sgp4_tests.MARIO_TLE)
    fleet = Fleet("2023-04-25T12:00:00", [Member("tle", tle, "sgp4"), Member("omm", omm, "sgp4")])
    r, v = fleet.states(np.arange(0.0, 86400.0, 60.0), frame="itrs")
    assert np.all(np.isfinite(r))
    assert np.max(np.linalg.norm(r[0] - r[1], axis=1)) * 1e6 < 1.0
    assert np.max(np.linalg.norm(v[0] - v[1], axis=1)) * 1e6 < 1.0


def test_sgp4s_own_omm_export_reads_back():
    """VANGUARD 1's TLE exported by ``sgp4.exporter.export_omm`` (sgp4's OMM fields) reads back to its Satrec."""
    from sgp4.exporter import export_omm

    _, line1, line2 = sgp4_tests.VANGUARD_TLE.splitlines()
    sat = Satrec.twoline2rv(line1, line2)
    (omm,) = parse_omm(json.dumps([export_omm(sat, "VANGUARD 1")]))
    assert omm.name == "VANGUARD 1" and omm.norad_id == 5
    assert satrec_attributes(omm.satrec()) == satrec_attributes(sat)


def test_renderings_of_one_message_give_identical_satrecs():
    kvn, js, csv = parse_omm(MARIO_KVN), parse_omm(mario_json()), parse_omm(sgp4_tests.MARIO_CSV)
    assert kvn == js == csv
    assert satrec_attributes(kvn[0].satrec()) == satrec_attributes(js[0].satrec()) == \
        satrec_attributes(csv[0].satrec())


def test_a_file_of_many_kvn_messages():
    text = MARIO_KVN + "\n" + MARIO_KVN.replace("OBJECT_NAME = MARIO", "OBJECT_NAME = LUIGI")
    assert [o.name for o in parse_omm(text)] == ["MARIO", "LUIGI"]


def test_nine_digit_catalog_numbers_are_kept_and_do_not_change_the_orbit():
    """sgp4 holds at most 339999 (Alpha-5 Z9999): the real number stays in ``norad_id``, the Satrec gets 0, and
    SGP4 does not use the number: the states are identical to the same elements under a five-digit number."""
    (big,) = parse_omm(mario_json(NORAD_CAT_ID=123456789))
    (small,) = parse_omm(mario_json())
    assert big.norad_id == 123456789 and big.satrec().satnum == 0
    jd = big.epoch_jd + np.linspace(0.0, 1.0, 97)
    states = [sat.sgp4_array(np.floor(jd), jd - np.floor(jd)) for sat in (big.satrec(), small.satrec())]
    assert np.array_equal(states[0][1], states[1][1]) and np.array_equal(states[0][2], states[1][2])
    with pytest.raises(OMMError, match=r"NORAD_CAT_ID: 1234567890 is out of range \[0, 999999999\]"):
        parse_omm(mario_json(NORAD_CAT_ID=1234567890))


def test_a_nine_digit_number_reaches_the_member_and_the_results(tmp_path):
    """Two records named MARIO: each name gets its catalog number, which is in the fleet and in the contacts."""
    import constellation

    text = json.dumps(json.loads(mario_json(NORAD_CAT_ID=123456789)) + json.loads(mario_json()))
    (tmp_path / "cat.json").write_text(text)
    (tmp_path / "s.yaml").write_text(
        "name: nine\nepoch: 2023-04-25T12:00:00Z\nduration: 1 d\nsatellites:\n"
        "  - {name: iss-debris, orbit: omm, file: cat.json}\n"
        "ground_stations:\n  - {name: g, latitude: 35.7, longitude: 51.4}\n")
    scenario = load_scenario(tmp_path / "s.yaml")
    members = scenario.fleet().members
    assert [m.name for m in members] == ["MARIO (123456789)", "MARIO (55123)"]
    assert members[0].orbit.norad_id == 123456789 and members[0].group == "iss-debris"
    results = constellation.run(scenario)
    assert "MARIO (123456789)" in set(results.contacts["satellite"])


ALPHA5 = {"A0001": 100001, "H9999": 179999, "J0000": 180000, "P1234": 231234, "Z9999": 339999}


def alpha5_tle(number: str, name: str | None = "ALPHA") -> str:
    def fixed(line: str) -> str:
        line = line[:2] + number + line[7:68]
        return line + str(compute_checksum(line))

    lines = [fixed(MARIO_TLE[1]), fixed(MARIO_TLE[2])]
    return "\n".join(([name] if name else []) + lines)


@pytest.mark.parametrize("number", sorted(ALPHA5))
def test_alpha5_tles_are_read(number):
    (tle,) = parse_tles(alpha5_tle(number))
    assert tle.norad_id == ALPHA5[number] == tle.satrec().satnum
    (anonymous,) = parse_tles(alpha5_tle(number, None))
    assert anonymous.name == f"NORAD {number}"


@pytest.mark.parametrize("number", ["I0001", "O0001", "a0001", "A001 ", "AB001"])
def test_alpha5_letters_that_do_not_exist_are_refused(number):
    """I and O are not used (they read as 1 and 0), so sgp4 would decode I0001 as J0001's 180001; lowercase and
    two letters are not Alpha-5 either."""
    with pytest.raises(ValueError, match="neither five digits nor Alpha-5"):
        parse_tles(alpha5_tle(number))


def test_alpha5_members_in_a_scenario():
    text = alpha5_tle("A0001", None) + "\n" + alpha5_tle("Z9999", "LAST")
    scenario = Scenario(name="a5", epoch="2023-04-25T12:00:00Z", duration=3600.0,
                        satellites=[{"name": "cat", "orbit": "tle", "lines": text}])
    members = scenario.fleet().members
    assert [m.name for m in members] == ["cat-1", "LAST"]
    assert [m.orbit.norad_id for m in members] == [100001, 339999]
    assert isinstance(members[0].orbit, TLE)


@pytest.mark.parametrize("text, message", [
    (mario_json(BSTAR=None), r"OMM record 1 \(MARIO\): BSTAR: mandatory field is missing"),
    (mario_json(OBJECT_NAME=None), r"OMM record 1: OBJECT_NAME: mandatory field is missing"),
    (mario_json(EPOCH=None, MEAN_MOTION=None), r"EPOCH: mandatory field is missing \(also missing: MEAN_MOTION\)"),
    (mario_json(MEAN_MOTION="fast"), r"MEAN_MOTION: 'fast' is not a number"),
    (mario_json(MEAN_MOTION=float("nan")), r"MEAN_MOTION: 'NaN' is not a number|MEAN_MOTION: .*not a finite"),
    (mario_json(ECCENTRICITY=1.2), r"ECCENTRICITY: 1.2 is out of range \[0, 1\)"),
    (mario_json(INCLINATION=181), r"INCLINATION: 181 is out of range \[0, 180\]"),
    (mario_json(MEAN_MOTION=0.0), r"MEAN_MOTION: 0 rev/day"),
    (mario_json(MEAN_MOTION=30.0), r"MEAN_MOTION: 30 rev/day .* perigee \d+ km under the Earth's surface"),
    (mario_json(EPOCH="2023-02-30T00:00:00"), r"EPOCH: '2023-02-30T00:00:00' is not a UTC time"),
    (mario_json(NORAD_CAT_ID=5.5), r"NORAD_CAT_ID: 5.5 is not a whole number"),
    (mario_json(MEAN_ELEMENT_THEORY="SGP4-XP"), r"MEAN_ELEMENT_THEORY: 'SGP4-XP': SGP4-XP elements need"),
    (mario_json(MEAN_ELEMENT_THEORY="DSST"), r"MEAN_ELEMENT_THEORY: 'DSST': only SGP4 element sets are read"),
    (mario_json(EPHEMERIS_TYPE=4), r"EPHEMERIS_TYPE: 4 marks an SGP4-XP element set"),
    (mario_json(REF_FRAME="GCRF"), r"REF_FRAME: 'GCRF': SGP4 elements are TEME"),
    (mario_json(TIME_SYSTEM="TAI"), r"TIME_SYSTEM: 'TAI': SGP4 elements are UTC"),
    ('[{"OBJECT_NAME": "X"', r"malformed JSON"),
    ('{"a": [1]}', r"mandatory field is missing"),
    ("[1, 2]", r"an object or a list of objects"),
    ("<omm><body><segment><metadata></segment></omm>", r"malformed XML"),
    ("hello world", r"not an OMM"),
    ("CCSDS_OMM_VERS = 3.0\nthis line is not KVN\n", r"KVN line 2 is not 'KEYWORD = value'"),
    ("[]", r"no OMM record found"),
])
def test_bad_omms_are_refused_naming_record_and_field(text, message):
    with pytest.raises(OMMError, match=message):
        parse_omm(text)


def test_xml_entities_are_refused_before_they_expand():
    bomb = ('<?xml version="1.0"?>\n<!DOCTYPE ndm [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            "\n<ndm><omm><body><segment><metadata><OBJECT_NAME>&b;</OBJECT_NAME></metadata></segment></body></omm>"
            "</ndm>")
    with pytest.raises(OMMError, match="DTD or entities"):
        parse_omm(bomb)


def test_the_bundled_catalog():
    records = load_omm(BUNDLED_DIR / "omm" / "catalog.xml")
    assert len(records) == 36 and all(r.norad_id > 99_999 for r in records)
    assert sum(r.norad_id > 99_999_999 for r in records) == 2
    assert len({r.name for r in records}) == 36
    scenario = load_scenario("omm_catalog")
    fleet = scenario.fleet()
    assert len(fleet) == 36 and {m.model for m in fleet.members} == {"sgp4"}
    altitudes = fleet.semi_major_axes() - 6378.137
    assert np.all(np.abs(altitudes - 550.0) < 15.0)


def _cli(*args):
    result = CliRunner().invoke(app, [*map(str, args)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def test_constellation_runs_the_bundled_catalog(tmp_path):
    listed = _cli("scenarios")
    assert listed.exit_code == 0 and "omm_catalog" in listed.output
    result = _cli("run", "omm_catalog", "--out", tmp_path / "run")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "run" / "contacts.parquet").is_file()


HEAD = "name: bad\nepoch: 2026-11-01T00:00:00Z\nduration: 1 h\nsatellites:\n  - name: cat\n    orbit: omm\n"


@pytest.mark.parametrize("content, words", [
    (mario_json(MEAN_MOTION_DOT=None).encode(), ("satellites[0].file", "OMM record 1 (MARIO)",
                                                 "MEAN_MOTION_DOT: mandatory field is missing")),
    (b"<ndm><omm>", ("satellites[0].file", "malformed XML")),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ("satellites[0].file", "NUL bytes: it is not a text file")),
    (b"OBJECT_NAME,EPOCH\n\xff\xfe\xfd", ("satellites[0].file", "not UTF-8 text")),
])
def test_cli_refuses_bad_omm_files(tmp_path, content, words):
    (tmp_path / "cat.omm").write_bytes(content)
    (tmp_path / "s.yaml").write_text(HEAD + "    file: cat.omm\n")
    result = _cli("validate", tmp_path / "s.yaml")
    assert result.exit_code == 2
    (line,) = [ln for ln in result.output.splitlines() if "satellites[0]" in ln]
    assert all(w in line for w in words), result.output


def test_cli_refuses_an_omm_file_over_the_limit_and_text_with_a_missing_field(tmp_path, monkeypatch):
    import constellation.orbits.omm as omm_module

    (tmp_path / "cat.json").write_text(mario_json())
    monkeypatch.setattr(omm_module, "MAX_OMM_FILE_BYTES", 100)
    (tmp_path / "s.yaml").write_text(HEAD + "    file: cat.json\n")
    result = _cli("run", tmp_path / "s.yaml", "--out", tmp_path / "run")
    assert result.exit_code == 2 and "over the 0 MiB limit" in result.output
    assert not (tmp_path / "run").exists()
    (tmp_path / "t.yaml").write_text(HEAD + "    text: '" + mario_json(MEAN_ANOMALY=None) + "'\n")
    result = _cli("validate", tmp_path / "t.yaml")
    assert result.exit_code == 2
    assert "t.yaml:7: satellites[0].text: OMM record 1 (MARIO): MEAN_ANOMALY: mandatory field is missing" in \
        result.output


def test_exactly_one_of_file_and_text():
    with pytest.raises(ScenarioError, match="give exactly one of 'file'"):
        Scenario.from_yaml_text(HEAD + "    file: a.omm\n    text: x\n")
    with pytest.raises(TypeError):
        OMM("X", "2026-001A", 1, "2026-11-01T00:00:00.000000")
