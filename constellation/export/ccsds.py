"""CCSDS Orbit Ephemeris Messages (CCSDS 502.0-B-3), KVN and XML, one per satellite, written by the ``oem`` package.

Each message holds one segment: GCRF positions (km) and velocities (km/s) at every step of the run, times in UTC,
OBJECT_ID the international designator of a satellite from a TLE (else its name), and HERMITE interpolation of
the degree ``base.hermite_points`` gives for the step.
"""

from __future__ import annotations

from .base import ExportRun, Folder, check_states, hermite_points, register_format

OEM_VERSION = "3.0"
ORIGINATOR = "constellation"


@register_format("oem", check=check_states)
def write_oem(run: ExportRun, folder: Folder) -> None:
    """CCSDS OEM in KVN (NAME.oem per satellite): GCRF states at every step."""
    _write(run, folder, "kvn", ".oem")


@register_format("oem-xml", check=check_states)
def write_oem_xml(run: ExportRun, folder: Folder) -> None:
    """CCSDS OEM in XML (NAME.xml per satellite): GCRF states at every step."""
    _write(run, folder, "xml", ".xml")


def object_id(member) -> str:
    """The OBJECT_ID of a fleet member: its orbit's own ``object_id`` when it has one, the international designator
    (YYYY-NNNP) of a TLE that gives one, else the member's name."""
    own = str(getattr(member.orbit, "object_id", "") or "").strip()
    if own:
        return own
    line1 = getattr(member.orbit, "line1", "")
    designator = line1[9:17].strip() if isinstance(line1, str) else ""
    if len(designator) >= 6 and designator[:5].isdigit():
        year = int(designator[:2])
        return f"{1900 + year if year >= 57 else 2000 + year}-{designator[2:]}"
    return member.name


def _write(run: ExportRun, folder: Folder, file_format: str, suffix: str) -> None:
    from astropy.time import Time
    from oem import OrbitEphemerisMessage
    from oem.components import EphemerisSegment, HeaderSection, MetaDataSection

    iso = run.time_strings()
    epochs = _epochs(run)
    now = Time.now()
    now.precision = 6
    created = now.utc.isot
    points = dict(zip(run.fleet.names, hermite_points(run.fleet, run.step_s)))
    members = {m.name: m for m in run.fleet.members}
    for eph in run.ephemerides():
        for s, name in enumerate(eph.names):
            header = HeaderSection({"CCSDS_OEM_VERS": OEM_VERSION, "CREATION_DATE": created,
                                    "ORIGINATOR": ORIGINATOR})
            metadata = MetaDataSection({
                "OBJECT_NAME": name,
                "OBJECT_ID": object_id(members[name]),
                "CENTER_NAME": "EARTH",
                "REF_FRAME": "GCRF",
                "TIME_SYSTEM": "UTC",
                "START_TIME": iso[0],
                "STOP_TIME": iso[-1],
                "INTERPOLATION": "HERMITE",
                "INTERPOLATION_DEGREE": str(2 * int(points[name]) - 1),
            }, version=OEM_VERSION)
            columns = [eph.r_gcrs[s, :, k].tolist() for k in range(3)] + \
                [eph.v_gcrs[s, :, k].tolist() for k in range(3)]
            segment = EphemerisSegment(metadata, (epochs, *columns), version=OEM_VERSION)
            message = OrbitEphemerisMessage(header, [segment])
            with folder.target(f"{run.stems[name]}{suffix}") as tmp:
                message.save_as(tmp, file_format=file_format)


def _epochs(run: ExportRun) -> list:
    """The sample times as the ``oem`` package formats them: datetimes (microseconds), or astropy Times when the run
    holds a leap second, which datetime cannot."""
    stamps = run.stamps()
    try:
        return list(stamps.to_datetime(leap_second_strict="raise"))
    except ValueError:
        return list(stamps)
