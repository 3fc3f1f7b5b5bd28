from django.core.exceptions import ValidationError
from django.db import transaction

from duster.accounts.models import Pseud
from duster.works.models import Creatorship, Series, SeriesEntry, Work

SERIES_FIELDS = ("title", "summary", "notes", "complete")


@transaction.atomic
def series_create(*, pseud: Pseud, fields: dict) -> Series:
    series = Series(**{name: fields[name] for name in SERIES_FIELDS if name in fields})
    series.full_clean()
    series.save()
    Creatorship.objects.create(series=series, pseud=pseud, approved=True)
    return series


@transaction.atomic
def series_update(*, series: Series, fields: dict) -> Series:
    for name in SERIES_FIELDS:
        if name in fields:
            setattr(series, name, fields[name])
    series.full_clean()
    series.save()
    return series


@transaction.atomic
def series_delete(*, series: Series) -> None:
    """The series goes; its works stay."""
    series.delete()


def _entries(series: Series) -> list[SeriesEntry]:
    # Lock the series so two reorders cannot interleave (PostgreSQL; SQLite
    # serializes writers already).
    Series.objects.select_for_update().filter(pk=series.pk).exists()
    return list(series.entries.order_by("position", "pk"))


def _renumber(entries: list[SeriesEntry]) -> None:
    for number, entry in enumerate(entries, start=1):
        entry.position = number
    SeriesEntry.objects.bulk_update(entries, ["position"])


def _clamp(position: int | None, size: int) -> int:
    """A 1-based position within 1..size+1 (None = at the end)."""
    if position is None:
        return size + 1
    return min(max(position, 1), size + 1)


@transaction.atomic
def series_add_work(*, series: Series, work: Work, position: int | None = None) -> SeriesEntry:
    """Put `work` into the series at `position` (1 = first; None = last),
    moving later works down."""
    entries = _entries(series)
    if any(entry.work_id == work.pk for entry in entries):
        raise ValidationError({"work": f"“{work.title}” is already part of this series."})
    index = _clamp(position, len(entries)) - 1
    entry = SeriesEntry.objects.create(series=series, work=work, position=index + 1)
    entries.insert(index, entry)
    _renumber(entries)
    return entry


@transaction.atomic
def series_move_work(*, series: Series, work: Work, position: int) -> None:
    """Give `work` the 1-based `position` in the series' reading order."""
    entries = _entries(series)
    entry = next((e for e in entries if e.work_id == work.pk), None)
    if entry is None:
        raise ValidationError({"work": "That work is not part of this series."})
    entries.remove(entry)
    entries.insert(_clamp(position, len(entries)) - 1, entry)
    _renumber(entries)


@transaction.atomic
def series_reorder(*, series: Series, positions: dict[int, int]) -> None:
    """Put works in the order of the numbers given for them (work pk -> wanted
    position); ties keep their current order."""
    entries = _entries(series)
    if set(positions) != {e.work_id for e in entries}:
        raise ValidationError("Give a position for every work in the series.")
    entries.sort(key=lambda e: (positions[e.work_id], e.position))
    _renumber(entries)


@transaction.atomic
def series_remove_work(*, series: Series, work: Work) -> None:
    entries = _entries(series)
    kept = [e for e in entries if e.work_id != work.pk]
    if len(kept) == len(entries):
        raise ValidationError({"work": "That work is not part of this series."})
    SeriesEntry.objects.filter(series=series, work=work).delete()
    _renumber(kept)
