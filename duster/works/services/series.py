from django.core.exceptions import ValidationError
from django.db import transaction

from duster.accounts.models import Pseud
from duster.lib.richtext import full_clean_public, rich_text_apply
from duster.works.models import Creatorship, Series, SeriesEntry, Work
from duster.works.services.chapters import check_order
from duster.works.services.stats import works_touch
from duster.works.signals import announce_on_commit, series_work_added

PLAIN_FIELDS = ("title", "complete")


@transaction.atomic
def series_create(*, pseud: Pseud, fields: dict) -> Series:
    series = Series()
    rich_text_apply(series, fields, plain=PLAIN_FIELDS)
    full_clean_public(series)
    series.save()
    Creatorship.objects.create(series=series, pseud=pseud, approved=True)
    return series


@transaction.atomic
def series_update(*, series: Series, fields: dict) -> Series:
    rich_text_apply(series, fields, plain=PLAIN_FIELDS)
    full_clean_public(series)
    series.save()
    _touch(series)
    return series


@transaction.atomic
def series_delete(*, series: Series) -> None:
    """The series goes; its works stay."""
    _touch(series)
    series.delete()


def _touch(series: Series) -> None:
    works_touch(work_ids=list(series.entries.values_list("work_id", flat=True)))


def _entries(series: Series) -> list[SeriesEntry]:
    # Lock the series so two reorders cannot interleave (PostgreSQL; SQLite
    # serializes writers already).
    Series.objects.select_for_update().filter(pk=series.pk).exists()
    return list(series.entries.order_by("position", "pk"))


def _renumber(entries: list[SeriesEntry]) -> None:
    for number, entry in enumerate(entries, start=1):
        entry.position = number
    SeriesEntry.objects.bulk_update(entries, ["position"])
    works_touch(work_ids=[e.work_id for e in entries])


def _place(position: int | None, size: int) -> int:
    """A 1-based position within 1..size (None = the last); others are refused."""
    if position is None:
        return size
    if not 1 <= position <= size:
        raise ValidationError(
            {"position": f"Choose a place from 1 to {size} (1 is first, {size} is last)."}
        )
    return position


@transaction.atomic
def series_add_work(*, series: Series, work: Work, position: int | None = None) -> SeriesEntry:
    """Put `work` into the series at `position` (1 = first; None = last),
    moving later works down."""
    entries = _entries(series)
    if any(entry.work_id == work.pk for entry in entries):
        raise ValidationError({"work": f"“{work.title}” is already part of this series."})
    index = _place(position, len(entries) + 1) - 1
    entry = SeriesEntry.objects.create(series=series, work=work, position=index + 1)
    entries.insert(index, entry)
    _renumber(entries)
    # Its subscribers hear of it once committed, if the work is posted (see works.signals).
    announce_on_commit(series_work_added, Series, series=series, work=work)
    return entry


@transaction.atomic
def series_move_work(*, series: Series, work: Work, position: int) -> None:
    """Give `work` the 1-based `position` in the series' reading order."""
    entries = _entries(series)
    entry = next((e for e in entries if e.work_id == work.pk), None)
    if entry is None:
        raise ValidationError({"work": "That work is not part of this series."})
    place = _place(position, len(entries))
    entries.remove(entry)
    entries.insert(place - 1, entry)
    _renumber(entries)


@transaction.atomic
def series_reorder(*, series: Series, positions: dict[int, int]) -> bool:
    """Put works in the order of the numbers given for them (work pk -> wanted
    position); ties keep their current order."""
    entries = _entries(series)
    if set(positions) != {e.work_id for e in entries}:
        raise ValidationError("Give a position for every work in the series.")
    check_order(positions, "works")
    before = [e.pk for e in entries]
    entries.sort(key=lambda e: positions[e.work_id])
    if [e.pk for e in entries] == before:
        return False
    _renumber(entries)
    return True


@transaction.atomic
def series_remove_work(*, series: Series, work: Work) -> None:
    entries = _entries(series)
    kept = [e for e in entries if e.work_id != work.pk]
    if len(kept) == len(entries):
        raise ValidationError({"work": "That work is not part of this series."})
    SeriesEntry.objects.filter(series=series, work=work).delete()
    _renumber(kept)
    works_touch(work_ids=[work.pk])
