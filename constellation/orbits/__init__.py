"""Orbits: mean element sets, constellation builders, TLEs, OMMs, state vectors, OEM ephemerides and bulk propagation.

The one module that imports boinor is ``constellation.orbits.boinor_bridge``.
"""

from .elements import (
    Elements,
    circular,
    classical,
    geostationary,
    raan_from_ltan,
    sso_inclination,
    sun_synchronous,
    swarm,
    walker,
)
from .fleet import Ephemeris, Fleet, Member
from .oem import OEMError, OEMTrajectory, load_oem, parse_oem
from .omm import OMM, OMMError, load_omm, parse_omm
from .statevector import state_elements, to_gcrs
from .tle import TLE, TLEError, load_tles, parse_tles

__all__ = [
    "Elements", "Ephemeris", "Fleet", "Member", "OEMError", "OEMTrajectory", "OMM", "OMMError", "TLE", "TLEError",
    "circular", "classical", "geostationary", "load_oem", "load_omm", "load_tles", "parse_oem", "parse_omm",
    "parse_tles", "raan_from_ltan", "sso_inclination", "state_elements", "sun_synchronous", "swarm", "to_gcrs",
    "walker",
]
