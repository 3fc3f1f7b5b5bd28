"""Reads across works, chapters and series, always through the visibility rule."""

from dataclasses import dataclass

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Window
from django.db.models.functions import RowNumber
from django.http import Http404

from duster.tags.models import Tag, TagType
from duster.works.models import Chapter, Creatorship, Series, SeriesEntry, Work, byline_credits


def _visible(user, work_field: str = "work_id") -> Exists:
    """The visibility rule as a check on each row's work. Filtering on
    `work_id IN (visible works)` instead lets SQLite start from every visible
    work of the archive, on every page view."""
    return Exists(Work.objects.visible_to(user).filter(pk=OuterRef(work_field)))


def work_for_reader(pk: int, user) -> Work:
    """The work if `user` may see it, with what its page shows; else 404."""
    work = Work.objects.visible_to(user).for_listing().filter(pk=pk).first()
    if work is None:
        raise Http404("No such work.")
    return work


def work_for_creator(pk: int, user) -> Work:
    """The work if `user` is one of its accepted creators; else 404."""
    work = work_for_reader(pk, user)
    if not work.is_creator(user):
        raise Http404("No such work.")
    return work


def chapters_for_reader(work: Work, user) -> list[Chapter]:
    """Posted chapters; creators also see their unposted ones."""
    chapters = work.chapters.order_by("position")
    if not work.is_creator(user):
        chapters = chapters.filter(posted=True)
    return list(chapters)


@dataclass
class SeriesPlace:
    series: Series
    part: int
    previous: Work | None
    next: Work | None


def series_places(work: Work, user) -> list[SeriesPlace]:
    """'Part N of <series>' with the neighbouring parts the reader may see, in
    the author's order: one query whatever the number of series."""
    series_ids = SeriesEntry.objects.filter(work=work).values("series_id")
    entries = (
        SeriesEntry.objects.filter(_visible(user), series_id__in=series_ids)
        .select_related("series", "work")
        .order_by("series__title", "series_id", "position")
    )
    by_series: dict[int, list[SeriesEntry]] = {}
    for entry in entries:
        by_series.setdefault(entry.series_id, []).append(entry)
    places = []
    for series_entries in by_series.values():
        index = next(i for i, e in enumerate(series_entries) if e.work_id == work.pk)
        places.append(
            SeriesPlace(
                series=series_entries[index].series,
                part=index + 1,
                previous=series_entries[index - 1].work if index > 0 else None,
                next=series_entries[index + 1].work if index + 1 < len(series_entries) else None,
            )
        )
    return places


def series_for_reader(pk: int, user) -> tuple[Series, list[SeriesEntry]]:
    """The series and the entries whose works the reader may see, in order."""
    series = (
        Series.objects.prefetch_related(
            Prefetch(
                "creatorships",
                queryset=byline_credits(),
                to_attr="credits",
            )
        )
        .filter(pk=pk)
        .first()
    )
    if series is None:
        raise Http404("No such series.")
    works = Work.objects.visible_to(user).for_listing()
    entries = list(
        series.entries.filter(_visible(user))
        .prefetch_related(Prefetch("work", queryset=works))
        .order_by("position")
    )
    if not entries and not series.is_creator(user):
        # A series of nothing the reader may see does not exist for them.
        raise Http404("No such series.")
    return series, entries


def works_credited_to(user, *, viewer):
    """Works credited to `user` that `viewer` may see, found from the user's
    credits, so a page costs the same in a small or a large archive."""
    return Work.objects.visible_to(viewer).credited_to(user, viewer=viewer)


def series_credited_to(user, *, viewer):
    """Series credited to `user` that show at least one work to `viewer`."""
    own = Creatorship.objects.filter(pseud__user=user, approved=True, series__isnull=False)
    qs = Series.objects.filter(pk__in=own.values("series_id")).annotate(
        work_total=Count("entries", filter=Q(_visible(viewer, "entries__work_id")))
    )
    if viewer != user:
        qs = qs.filter(work_total__gt=0)
    return qs.prefetch_related(
        Prefetch(
            "creatorships",
            queryset=byline_credits(),
            to_attr="credits",
        )
    ).order_by("-updated_at")


def tag_facets(works, tag_types: list[TagType], limit: int = 30) -> dict[str, list[Tag]]:
    """For each of `tag_types`, its tags on `works`, most used first, each
    with `.count`: one pass over the works' tags whatever the number of types
    (a prolific creator's works carry ten thousand tags)."""
    rank = Window(RowNumber(), partition_by=F("type"), order_by=[F("count").desc(), F("name")])
    tags = (
        Tag.objects.filter(type__in=tag_types, works__in=works.values("pk"))
        .annotate(count=Count("works", distinct=True))
        .annotate(rank=rank)
        .filter(rank__lte=limit)
        .order_by("rank")
    )
    facets: dict[str, list[Tag]] = {tag_type: [] for tag_type in tag_types}
    for tag in tags:
        facets[tag.type].append(tag)
    return facets


def pending_invitations(user):
    """Co-creator invitations `user` has not answered yet."""
    return Creatorship.objects.filter(pseud__user=user, approved=False).select_related(
        "work", "series", "pseud"
    )
