"""CZML of a run for CesiumJS: satellites on their paths, stations, targets, and links while they exist."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

SATELLITE_COLOR = (0, 220, 255, 255)
RELAY_COLOR = (255, 215, 0, 255)
STATION_COLOR = (255, 90, 60, 255)
TARGET_COLOR = (120, 230, 90, 255)
LINK_COLORS = {
    "downlink": (80, 255, 120, 220),
    "feeder": (255, 160, 40, 220),
    "relay": (255, 215, 0, 200),
    "isl": (200, 120, 255, 200),
}
OTHER_LINK_COLOR = (255, 255, 255, 200)


def entity_id(kind: str, name: str) -> str:
    """The CZML packet id of a node: ``satellite/NAME``, ``relay/NAME``, ``station/NAME`` or ``target/NAME``."""
    return f"{kind}/{name}"


def link_id(a: str, b: str) -> str:
    """The CZML packet id of the link between nodes ``a`` and ``b`` as the link plan orders them."""
    return f"link/{a}/{b}"


def _reference(packet_id: str) -> str:
    # Cesium reads "id#property.sub"; a '#', '.' or '\' inside the id must be escaped.
    escaped = packet_id.replace("\\", "\\\\").replace("#", "\\#").replace(".", "\\.")
    return f"{escaped}#position"


def _isot(epoch, seconds) -> list[str]:
    """ISO 8601 UTC strings (ms, with Z) of times given in seconds since ``epoch`` (leap seconds counted)."""
    import astropy.units as u

    seconds = np.atleast_1d(np.asarray(seconds, dtype=float))
    if len(seconds) == 0:
        return []
    times = epoch + seconds * u.s
    times.precision = 3
    return [s + "Z" for s in np.atleast_1d(times.utc.isot)]


def sample_times(duration_s: float, step_s: float) -> np.ndarray:
    """Seconds from 0 to ``duration_s`` every ``step_s``, the end always included."""
    if not (np.isfinite(step_s) and step_s > 0):
        raise ValueError(f"step_s must be a finite number > 0 (got {step_s!r})")
    t = np.arange(0.0, duration_s, step_s)
    return np.append(t, duration_s) if len(t) == 0 or t[-1] < duration_s else t


def _links_table(run_dir_or_results):
    """The link plan of a run: ``Results.links``, or ``links.parquet`` in a run folder; None when it has none."""
    from ..results import Results

    if hasattr(run_dir_or_results, "links"):
        return run_dir_or_results.links
    return Results.load(run_dir_or_results).links


def link_windows(links) -> dict[tuple[str, str], dict]:
    """Per node pair (as the plan orders it): its kind and its windows merged into disjoint sorted (start, end) s."""
    from ..results import merged_intervals

    out: dict[tuple[str, str], dict] = {}
    if links is None or len(links) == 0:
        return out
    for (a, b), rows in links.groupby(["a", "b"], sort=True):
        starts, ends = merged_intervals(rows["start_s"].to_numpy(float), rows["end_s"].to_numpy(float))
        out[(str(a), str(b))] = {"kind": str(rows["kind"].iloc[0]), "windows": list(zip(starts.tolist(), ends.tolist()))}
    return out


def _targets(scenario) -> list:
    if scenario.mission is None:
        return []
    from ..sim import mission_targets

    return mission_targets(scenario.mission)


def czml_packets(scenario, run_dir_or_results=None, step_s: float = 60.0) -> list:
    """The CZML packets (czml3 objects) of a scenario and, given a run, its links: see ``write_czml``."""
    from czml3 import Packet
    from czml3.enums import ClockRanges, ClockSteps, InterpolationAlgorithms, LabelStyles, VerticalOrigins
    from czml3.properties import (
        Clock, Color, Label, Path as CzmlPath, Point, Polyline, PolylineMaterial, Position, PositionList,
        SolidColorMaterial,
    )
    from czml3.types import Cartesian2Value, TimeInterval, TimeIntervalCollection

    epoch = scenario.epoch_time
    duration = scenario.duration_s
    start, end = _isot(epoch, [0.0, duration])
    packets = [
        Packet(
            id="document", name=scenario.name, version="1.0",
            clock=Clock(
                interval=TimeInterval(start=start, end=end), currentTime=start, multiplier=60,
                range=ClockRanges.LOOP_STOP, step=ClockSteps.SYSTEM_CLOCK_MULTIPLIER,
            ),
        )
    ]

    def label(text: str, offset_y: float) -> Label:
        return Label(
            text=text, font="12px sans-serif", style=LabelStyles.FILL_AND_OUTLINE, outlineWidth=2,
            fillColor=Color(rgba=[255, 255, 255, 255]), outlineColor=Color(rgba=[0, 0, 0, 255]),
            pixelOffset=Cartesian2Value(values=[0, offset_y]), verticalOrigin=VerticalOrigins.BOTTOM,
        )

    fleet = scenario.fleet()
    t = sample_times(duration, step_s)
    r_m = np.round(fleet.states(t, frame="itrs")[0] * 1e3, 1)
    stamped = np.empty((len(t), 4))
    stamped[:, 0] = t
    kinds = {}
    for i, member in enumerate(fleet.members):
        kinds[member.name] = member.kind
        stamped[:, 1:] = r_m[i]
        ok = np.all(np.isfinite(stamped), axis=1)
        color = RELAY_COLOR if member.kind == "relay" else SATELLITE_COLOR
        period = float(fleet.periods()[i])
        packets.append(Packet(
            id=entity_id(member.kind, member.name), name=member.name,
            availability=TimeInterval(start=start, end=end),
            description=f"{member.kind} {member.name}" + (f" ({member.group})" if member.group else ""),
            position=Position(
                referenceFrame="FIXED", epoch=start, cartesian=stamped[ok].ravel().tolist(),
                interpolationAlgorithm=InterpolationAlgorithms.LAGRANGE, interpolationDegree=5,
            ),
            point=Point(pixelSize=8 if member.kind == "relay" else 6, color=Color(rgba=list(color)),
                        outlineColor=Color(rgba=[0, 0, 0, 255]), outlineWidth=1),
            label=label(member.name, -10),
            path=None if member.kind == "relay" else CzmlPath(
                show=True, width=1, resolution=step_s, leadTime=0, trailTime=min(period, duration),
                material=PolylineMaterial(solidColor=SolidColorMaterial(color=Color(rgba=[*color[:3], 140]))),
            ),
        ))
    for s in scenario.stations():
        kinds[s.name] = "station"
        packets.append(Packet(
            id=entity_id("station", s.name), name=s.name, description=f"ground station {s.name}",
            position=Position(cartographicDegrees=[s.lon_deg, s.lat_deg, s.height_km * 1e3]),
            point=Point(pixelSize=9, color=Color(rgba=list(STATION_COLOR)), outlineColor=Color(rgba=[0, 0, 0, 255]),
                        outlineWidth=1),
            label=label(s.name, -10),
        ))
    for target in _targets(scenario):
        packets.append(Packet(
            id=entity_id("target", target.name), name=target.name,
            description=f"target {target.name} (priority {target.priority})",
            position=Position(cartographicDegrees=[target.lon_deg, target.lat_deg, target.height_km * 1e3]),
            point=Point(pixelSize=5, color=Color(rgba=list(TARGET_COLOR))),
        ))
    if run_dir_or_results is not None:
        for (a, b), link in link_windows(_links_table(run_dir_or_results)).items():
            if a not in kinds or b not in kinds:
                raise ValueError(f"the run's link {a} - {b} names a node the scenario does not have: was the run made "
                                 f"from another scenario?")
            s0, s1 = np.array(link["windows"]).T
            intervals = [TimeInterval(start=x, end=y) for x, y in zip(_isot(epoch, s0), _isot(epoch, s1))]
            color = LINK_COLORS.get(link["kind"], OTHER_LINK_COLOR)
            packets.append(Packet(
                id=link_id(a, b), name=f"{a} - {b}", description=f"{link['kind']} link {a} - {b}",
                availability=TimeIntervalCollection(values=intervals),
                polyline=Polyline(
                    positions=PositionList(references=[_reference(entity_id(kinds[a], a)),
                                                       _reference(entity_id(kinds[b], b))]),
                    width=1.5, arcType="NONE",
                    material=PolylineMaterial(solidColor=SolidColorMaterial(color=Color(rgba=list(color)))),
                ),
            ))
    return packets


def write_czml(scenario, run_dir_or_results=None, out_path="scene.czml", step_s: float = 60.0) -> Path:
    """Write a run as CZML and return its path: the document (clock over the scenario), one packet per satellite
    and relay, station and imaging target, and one per linked node pair.

    Satellite positions are ITRS (Cesium's FIXED frame) in metres, sampled every ``step_s`` and Lagrange-interpolated
    by the client; satellites trail one orbit of path. ``run_dir_or_results`` is a run folder or a ``Results``; each
    link is available exactly over its windows in the run's link plan (overlapping windows of a pair merged). Without
    a run there are no links.
    """
    from czml3 import Document

    packets = czml_packets(scenario, run_dir_or_results, step_s)
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    text = Document(packets=packets).model_dump_json(exclude_none=True)
    out.write_text(text, encoding="utf-8")
    return out


def read_czml(path) -> list[dict]:
    """The packets of a CZML file as plain dicts."""
    return json.loads(Path(path).read_text(encoding="utf-8"))
