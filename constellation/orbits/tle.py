"""Two-line element sets: parsing with checks, and SGP4 propagation through the sgp4 package.

Catalog numbers 100000 to 339999 are written in Alpha-5: a letter for the leading two digits (A = 10 ... Z = 33,
skipping I and O, which look like 1 and 0) and four digits, so ``A0001`` is 100001.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np


class TLEError(ValueError):
    """A malformed two-line element set; ``line`` is 1-based within the text given."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message if line is None else f"line {line}: {message}")
        self.line = line


@dataclass(frozen=True)
class TLE:
    """One element set: an optional name line and the two data lines."""

    name: str
    line1: str
    line2: str

    def satrec(self):
        from sgp4.api import Satrec

        return Satrec.twoline2rv(self.line1, self.line2)

    @property
    def epoch_jd(self) -> float:
        sat = self.satrec()
        return sat.jdsatepoch + sat.jdsatepochF

    @property
    def norad_id(self) -> int:
        """The catalog number, Alpha-5 decoded."""
        return catalog_number(self.line1[2:7])


_CATALOG = re.compile(r"^ *\d+$|^[A-HJ-NP-Z]\d{4}$")


def catalog_number(field: str) -> int:
    """The catalog number in columns 3-7 of a TLE line: five digits, or Alpha-5 (ValueError for anything else)."""
    from sgp4.alpha5 import from_alpha5

    if not _CATALOG.match(field):
        raise ValueError(f"catalogue number {field!r} is neither five digits nor Alpha-5 (a capital letter other "
                         "than I or O, then four digits)")
    return from_alpha5(field.strip())


def _check_line(line: str, number: int, where: int) -> None:
    from sgp4.io import compute_checksum

    if len(line) < 69:
        raise TLEError(f"TLE line {number} must be 69 characters long (got {len(line)})", where)
    if line[0] != str(number):
        raise TLEError(f"expected TLE line {number} to start with '{number}' (got {line[0]!r})", where)
    digit = line[68]
    if not digit.isdigit():
        raise TLEError(f"TLE line {number} has no checksum digit in column 69", where)
    if int(digit) != compute_checksum(line):
        raise TLEError(
            f"TLE line {number} checksum is {digit} but the line sums to {compute_checksum(line)}", where
        )


def parse_tles(text: str) -> list[TLE]:
    """Every element set in ``text`` (two- or three-line format), each checked for length and checksum."""
    from sgp4.api import Satrec

    rows = [(i + 1, ln.rstrip()) for i, ln in enumerate(text.splitlines()) if ln.strip()]
    out: list[TLE] = []
    k = 0
    while k < len(rows):
        where, first = rows[k]
        name = ""
        if not first.startswith("1 "):
            name = first[2:].strip() if first.startswith("0 ") else first.strip()
            k += 1
            if k >= len(rows):
                raise TLEError(f"name line {name!r} is not followed by two TLE lines", where)
            where, first = rows[k]
        if k + 1 >= len(rows):
            raise TLEError("TLE line 1 is not followed by line 2", where)
        where2, second = rows[k + 1]
        _check_line(first, 1, where)
        _check_line(second, 2, where2)
        if first[2:7] != second[2:7]:
            raise TLEError(f"catalogue numbers differ between line 1 ({first[2:7]}) and line 2 ({second[2:7]})", where2)
        try:
            catalog_number(first[2:7])
        except ValueError as exc:
            raise TLEError(str(exc), where) from None
        try:
            sat = Satrec.twoline2rv(first, second)
        except Exception as exc:  # sgp4 raises several kinds on bad fields
            raise TLEError(f"TLE could not be read: {exc}", where) from None
        if sat.error:
            raise TLEError(f"SGP4 rejects this element set (error code {sat.error})", where)
        out.append(TLE(name or f"NORAD {first[2:7].strip()}", first, second))
        k += 2
    if not out:
        raise TLEError("no two-line element set found")
    return out


def load_tles(path: str | Path) -> list[TLE]:
    """Every element set in a TLE file."""
    return parse_tles(Path(path).read_text())


def sgp4_teme(satrecs, jd1, jd2):
    """TEME positions and velocities (km, km/s) for every satellite x epoch: arrays (S, T, 3).

    ``jd1``/``jd2`` are UTC Julian date parts of shape (T,). Epochs where SGP4 fails (decay) come back as NaN.
    """
    from sgp4.api import SatrecArray

    jd1 = np.broadcast_to(np.asarray(jd1, dtype=float), np.shape(jd2))
    err, r, v = SatrecArray(list(satrecs)).sgp4(np.ascontiguousarray(jd1), np.ascontiguousarray(jd2))
    bad = err != 0
    if np.any(bad):
        r[bad] = np.nan
        v[bad] = np.nan
    return r, v
