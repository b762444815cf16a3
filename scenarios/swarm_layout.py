"""Scenario script: the ten-satellite swarm laid out as five inclined planes of two, built with astropy Quantities.

The alternative to ``soleimani_swarm.yaml``'s two sun-synchronous planes: planes inclined at 50 deg, just above
Iran's northern border (about 40 N), so the satellites spend more of each orbit over the latitudes of the region;
five planes 72 deg apart in RAAN with two satellites each, 180 deg apart, and each plane shifted 36 deg
along-track from the one before so passes over the region are spread evenly through the day.
"""

import astropy.units as u

from constellation.scenario import GroundStation, Relay, Scenario, Swarm


def build() -> Scenario:
    return Scenario(
        name="swarm_layout",
        description="Ten satellites in five 50 deg planes of two at 530 km, GEO relay at 53 E, three stations in Iran.",
        epoch="2026-03-20T00:00:00Z",
        duration=1 * u.day,
        satellites=[
            Swarm(
                name="swarm",
                count=10,
                planes=5,
                altitude=530 * u.km,
                inclination=50 * u.deg,
                raan_spacing=72 * u.deg,
                phase_offset=36 * u.deg,
            )
        ],
        relay=Relay(name="relay-53e", longitude=53 * u.deg),
        ground_stations=[
            GroundStation(name="mahdasht", latitude=35.73 * u.deg, longitude=50.83 * u.deg, height=1.2 * u.km),
            GroundStation(name="qeshm", latitude=26.76 * u.deg, longitude=55.98 * u.deg, height=10 * u.m),
            GroundStation(name="tabriz", latitude=38.08 * u.deg, longitude=46.29 * u.deg, height=1350 * u.m),
        ],
    )
