"""Physical constants in the units hot code uses (km, s, rad)."""

MU_EARTH = 398600.4418
"""Earth's gravitational parameter, km^3/s^2 (WGS84 / EGM96)."""

R_EARTH = 6378.137
"""Earth's equatorial radius, km (WGS84 semi-major axis)."""

F_EARTH = 1.0 / 298.257223563
"""WGS84 flattening."""

J2_EARTH = 1.08262668e-3
"""Earth's second zonal harmonic (EGM96, unnormalised)."""

OMEGA_EARTH = 7.292115146706979e-5
"""Earth's rotation rate in rad/s (IERS value)."""

C_KM_S = 299792.458
"""Speed of light, km/s."""

SSO_RAAN_RATE = 2.0 * 3.141592653589793 / (365.2421897 * 86400.0)
"""Nodal precession that follows the mean Sun (one turn per tropical year), rad/s."""

GEO_A_KM = (MU_EARTH * (86164.0905 / (2.0 * 3.141592653589793)) ** 2) ** (1.0 / 3.0)
"""Semi-major axis of a geostationary orbit (one sidereal day), km."""
