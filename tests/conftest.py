"""Shared test set-up: no network for astropy's Earth orientation tables, one boinor import per session."""

from __future__ import annotations

import pytest
from astropy.utils import iers

# The IERS tables astropy bundles cover the epochs the tests use (up to late 2027); nothing is downloaded.
iers.conf.auto_download = False


@pytest.fixture(scope="session")
def boinor_bridge():
    """The project's only boinor module, imported once per session (boinor's numba kernels compile on first use)."""
    from constellation.orbits import boinor_bridge

    return boinor_bridge
