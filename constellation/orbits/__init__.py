"""Orbits: mean element sets, constellation builders, TLEs and bulk propagation.

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
from .tle import TLE, TLEError, load_tles, parse_tles

__all__ = [
    "Elements", "Ephemeris", "Fleet", "Member", "TLE", "TLEError", "circular", "classical", "geostationary",
    "load_tles", "parse_tles", "raan_from_ltan", "sso_inclination", "sun_synchronous", "swarm", "walker",
]
