"""The time zones a member can choose: real places, grouped by region.

The list is the tz database's zone.tab (one zone per country and region,
under its current name) where the system has it; else every zone the
system knows whose name starts with a region. Either way "UTC" and nothing
else outside the regions: no "Factory", "localtime" or "posixrules", and no
legacy names ("US/Eastern", "Etc/GMT+5", "Asia/Calcutta"), which name the
same clocks as the zones listed.
"""

import functools
import zoneinfo
from pathlib import Path

from django.core.exceptions import ValidationError

REGIONS = (
    "Africa",
    "America",
    "Antarctica",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)


def _zone_tab() -> set[str] | None:
    for folder in zoneinfo.TZPATH:
        path = Path(folder) / "zone.tab"
        if path.is_file():
            names = set()
            for line in path.read_text(encoding="utf-8").splitlines():
                columns = line.split("\t")
                if not line.startswith("#") and len(columns) >= 3:
                    names.add(columns[2])
            return names
    return None


@functools.cache
def time_zones() -> frozenset[str]:
    """Every zone a member may choose, "UTC" included."""
    available = zoneinfo.available_timezones()
    listed = _zone_tab()
    names = available & listed if listed else available
    return frozenset(
        {name for name in names if name.split("/", 1)[0] in REGIONS and "/" in name} | {"UTC"}
    )


def _label(name: str) -> str:
    # "America/Argentina/Buenos_Aires" -> "Argentina / Buenos Aires"
    return " / ".join(name.split("/")[1:]).replace("_", " ")


@functools.cache
def time_zone_choices() -> list[tuple[str, str | list[tuple[str, str]]]]:
    """Choices for a select: UTC first, then one group per region, places
    in alphabetical order by their label."""
    zones = time_zones()
    groups: list[tuple[str, str | list[tuple[str, str]]]] = [("UTC", "UTC")]
    for region in REGIONS:
        places = sorted(
            ((name, _label(name)) for name in zones if name.startswith(region + "/")),
            key=lambda choice: choice[1],
        )
        if places:
            groups.append((region, places))
    return groups


def validate_time_zone(value: str) -> None:
    if value not in time_zones():
        raise ValidationError(
            "Choose a time zone from the list: a region and a place in it, or UTC.",
            code="invalid_time_zone",
        )


def _zone_file(name: str) -> bytes | None:
    for folder in zoneinfo.TZPATH:
        path = Path(folder) / name
        if path.is_file():
            return path.read_bytes()
    return None


def current_time_zone(name: str) -> str | None:
    """The listed zone an older or legacy name stands for ("US/Eastern" ->
    "America/New_York"): the one whose rules are the same file. None when
    there is none, or the system's zone files can't be read."""
    if name in time_zones():
        return name
    rules = _zone_file(name) if name in zoneinfo.available_timezones() else None
    if rules is None:
        return None
    return next((zone for zone in sorted(time_zones()) if _zone_file(zone) == rules), None)
