"""Shared test set-up: no network for astropy's Earth orientation tables, one boinor import and one skyfield
ephemeris per session."""

from __future__ import annotations

import warnings

import pytest
from astropy.utils import iers

# The IERS tables astropy bundles cover the epochs the tests use (up to late 2027); nothing is downloaded.
iers.conf.auto_download = False


@pytest.fixture(scope="session")
def boinor_bridge():
    """The project's only boinor module, imported once per session (boinor's numba kernels compile on first use)."""
    from constellation.orbits import boinor_bridge

    return boinor_bridge


@pytest.fixture(scope="session")
def sky():
    """skyfield's loader on the files skyfield-data ships (de421.bsp), its built-in time scale, and the ephemeris."""
    from skyfield.api import Loader
    from skyfield_data import get_skyfield_data_path

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        load = Loader(get_skyfield_data_path())
    return load.timescale(builtin=True), load("de421.bsp")
