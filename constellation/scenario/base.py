"""The base of every scenario model, the error its own checks raise at a field path, and bounded file reading."""

from __future__ import annotations

from pathlib import Path

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError


class Model(BaseModel):
    """A scenario model: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


def did_you_mean(name: str, choices) -> str:
    """``"; did you mean a, b?"`` with the up to three choices closest to ``name`` (``difflib``), or ``""``."""
    import difflib

    close = difflib.get_close_matches(str(name), sorted(map(str, choices)), n=3)
    return f"; did you mean {', '.join(close)}?" if close else ""


def invalid(title: str, errors: list[tuple[tuple, str, Any, dict]]) -> ValidationError:
    """A ValidationError whose errors (loc, message, value, extra) point at ``loc`` inside the model ``title``."""
    return ValidationError.from_exception_data(
        title,
        [
            InitErrorDetails(
                type=PydanticCustomError("scenario", "{reason}", {"reason": message, **extra}), loc=loc, input=value
            )
            for loc, message, value, extra in errors
        ],
    )


MAX_FILE_BYTES = 16 * 2**20
"""Largest scenario or script file read, bytes (16 MiB; a scenario of thousands of lines is a few hundred kB)."""

MAX_TLE_FILE_BYTES = 64 * 2**20
"""Largest TLE file read, bytes (64 MiB; the whole public catalogue, about 30,000 objects, is about 5 MB)."""


def read_text_limited(path: str | Path, what: str = "file", limit: int = MAX_FILE_BYTES) -> str:
    """The text of a regular file of at most ``limit`` bytes; OSError or ValueError saying why not otherwise."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{what} {path} is not a regular file" if path.exists() else f"no such {what}: {path}")
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"{what} {path} is over the {limit / 2**20:.0f} MiB limit")
    if b"\x00" in data:
        raise ValueError(f"{what} {path} holds NUL bytes: it is not a text file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{what} {path} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def dotted(path: tuple) -> str:
    """A field path as a user writes it: ``("satellites", 0, "altitude")`` is ``satellites[0].altitude``."""
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out
