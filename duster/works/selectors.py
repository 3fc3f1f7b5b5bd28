"""Reads across works, chapters and series, always through the visibility rule.

Anonymity: an anonymous work is listed, counted and linked like any other
wherever nothing connects it to a person (the latest works, tag pages, its own
page, all with the byline "Anonymous"). Where a person is named, it is left out
for everyone but its own accepted creators:

- a creator's pages (their works, series, fandom and relationship facets and
  counts) never list or count it (`Work.objects.credited_to`);
- series: every series is credited to a named pseud, so for other readers an
  anonymous work is not part of any series at all. The series page neither
  lists nor counts it, a creator's series counts leave it out, and its own page
  shows no "Part N of" and no previous/next work; neither does a neighbouring
  work's page point to it. A series whose only visible works are anonymous does
  not exist for those readers.
"""

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Window
from django.db.models.functions import RowNumber
from django.http import Http404

from duster.accounts.models import User
from duster.lib.pagecache import (
    LISTS,
    kept_while_lists_unchanged,
    kept_while_unchanged,
    work_page_dependencies,
)
from duster.tags.models import FilterTagging, Tag, TagType
from duster.works.models import (
    Chapter,
    Creatorship,
    Series,
    SeriesEntry,
    Work,
    WorkState,
    byline_credits,
    source_fields,
)


def _in_series(user, work_field: str = "work_id") -> Exists:
    """What `user` sees of a series: the works they may see, but anonymous ones
    only if they are one of its creators (see the module's docstring)."""
    works = Work.objects.visible_to(user).filter(pk=OuterRef(work_field))
    if user is None or not user.is_authenticated:
        return Exists(works.filter(anonymous=False))
    own = Creatorship.objects.filter(pseud__user=user, approved=True, work__isnull=False)
    return Exists(works.filter(Q(anonymous=False) | Q(pk__in=own.values("work_id"))))


def _shows_series(work: Work, user) -> bool:
    """Whether `work`'s page may show its series to `user` at all."""
    return not work.anonymous or work.is_creator(user)


def work_for_reader(pk: int, user) -> Work:
    """The work if `user` may see it, with what its page shows; else 404."""
    work = Work.objects.visible_to(user).for_reading().filter(pk=pk).first()
    if work is None:
        raise Http404("No such work.")
    return work


def work_for_creator(pk: int, user) -> Work:
    """The work if `user` is one of its accepted creators, with what its
    edit forms reopen; else 404."""
    work = Work.objects.visible_to(user).for_listing().defer(None).filter(pk=pk).first()
    if work is None or not work.is_creator(user):
        raise Http404("No such work.")
    return work


def chapters_for_reader(work: Work, user) -> list[Chapter]:
    """Posted chapters; creators also see their unposted ones. Without what
    the writer typed: the edit form loads its own chapter."""
    chapters = work.chapters.defer(*source_fields(Chapter)).order_by("position")
    if not work.is_creator(user):
        chapters = chapters.filter(posted=True)
    return list(chapters)


def chapter_menu_key(chapters: list[Chapter], shown: Chapter) -> str:
    """A digest of what a chapter page's chapter menu shows (each chapter's
    place and title, which one is open): the menu is cached under it."""
    shown_rows = [(c.pk, c.position, c.title) for c in chapters]
    return hashlib.blake2b(repr((shown.pk, shown_rows)).encode(), digest_size=16).hexdigest()


@dataclass
class SeriesPlace:
    series: Series
    part: int
    previous: Work | None
    next: Work | None


def series_places(work: Work, user) -> list[SeriesPlace]:
    """'Part N of <series>' with the neighbouring parts the reader may see, in
    the author's order: one query whatever the number of series. An anonymous
    work is in no series and no one's neighbour for anyone but its creators."""
    if not _shows_series(work, user) or not getattr(work, "in_any_series", True):
        return []
    series_ids = SeriesEntry.objects.filter(work=work).values("series_id")
    # Only what "Part N of" and the neighbour links show: whole works (their
    # notes and summaries in two forms) cost more to build than the query.
    entries = (
        SeriesEntry.objects.filter(_in_series(user), series_id__in=series_ids)
        .select_related("series", "work")
        .only("position", "series_id", "work_id", "series__id", "series__title", "work__id")
        .order_by("series__title", "series_id", "position")
    )
    by_series: dict[int, list[SeriesEntry]] = {}
    for entry in entries:
        by_series.setdefault(entry.series_id, []).append(entry)
    places = []
    for series_entries in by_series.values():
        index = next((i for i, e in enumerate(series_entries) if e.work_id == work.pk), None)
        if index is None:
            continue
        places.append(
            SeriesPlace(
                series=series_entries[index].series,
                part=index + 1,
                previous=series_entries[index - 1].work if index > 0 else None,
                next=series_entries[index + 1].work if index + 1 < len(series_entries) else None,
            )
        )
    return places


@dataclass
class Reading:
    """A work as its reading pages show it to one reader: the work, the
    chapters they may read, and its places in series."""

    work: Work
    chapters: list[Chapter]
    series_places: list[SeriesPlace]
    # True for the reading every member but the creators shares (reading_for):
    # their pages may then be built from one shell (duster.lib.memberpages).
    shared: bool = False


@dataclass
class _MembersReading:
    """The reading every member sees who is not in `creators` (None: those
    members may not see the work), and the users who see more than that:
    the accepted creators of the work and of the works in its series (their
    drafts and anonymous works are theirs to see)."""

    reading: Reading | None
    creators: frozenset[int]


def reading_for(pk: int, user) -> Reading:
    """The work `pk` as its reading pages show it to `user`; else 404.

    Every member sees the same, but for the creators of the work or of a
    work in its series: that reading is built once and kept until the work
    changes or anything is written to the works, tags or accounts tables
    (the versions of the work's cached pages and of the lists: see
    duster.works.signals), so it is never stale, whatever wrote the rows,
    and other processes see the change at once. Only its hit count may be
    late, by PAGE_CACHE_SECONDS at most, as on a guest's cached page. On an
    archive busy with writes it is rebuilt often, and costs then about what
    it saves on a quiet one. Guests have the page cache."""
    seconds = settings.PAGE_CACHE_SECONDS
    if user.is_authenticated and seconds:
        kept = kept_while_unchanged(
            f"members-reading:v2:{pk}",  # v2: with `shared`
            reading_dependencies(pk),
            lambda: _members_reading(pk),
            seconds,
            in_process=True,  # read-only for every caller
        )
        if user.pk not in kept.creators:
            if kept.reading is None:
                raise Http404("No such work.")
            return kept.reading
    return reading_of(work_for_reader(pk, user), user)


def reading_dependencies(pk: int) -> tuple[str, ...]:
    """What a work's reading pages show depends on, for a member: the work's
    own pages' versions and the lists' (its series, the works beside it)."""
    return (*work_page_dependencies(pk), LISTS)


def reading_of(work: Work, user) -> Reading:
    """`work` (which `user` may see) as its reading pages show it to them."""
    return Reading(work, chapters_for_reader(work, user), series_places(work, user))


def _members_reading(pk: int) -> _MembersReading:
    in_its_series = SeriesEntry.objects.filter(
        series_id__in=SeriesEntry.objects.filter(work_id=pk).values("series_id")
    ).values("work_id")
    credits = Creatorship.objects.filter(Q(work_id=pk) | Q(work_id__in=in_its_series))
    creators = frozenset(credits.filter(approved=True).values_list("pseud__user_id", flat=True))
    member = User(pk=0)  # a member, creator of nothing
    work = Work.objects.visible_to(member).for_reading().filter(pk=pk).first()
    if work is None:
        return _MembersReading(None, creators)
    reading = reading_of(work, member)
    reading.shared = True
    for chapter in reading.chapters:
        # Read on every member's request, so kept lean: each chapter's text
        # is in the page shell and the fragment cache under its text_key
        # (worked out now); a miss loads it again (one query). Nothing kept
        # is saved, so neither is the copy of the text as it was loaded.
        chapter.text_key  # noqa: B018
        del chapter.body
        chapter._rich_saved = {}
    return _MembersReading(reading, creators)


def series_for_reader(pk: int, user) -> tuple[Series, list[SeriesEntry]]:
    """The series and the entries whose works the reader may see, in order;
    anonymous works only for their own creators."""
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
        series.entries.filter(_in_series(user))
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
    """Series credited to `user` that show at least one work to `viewer`, each
    with `work_total`, the works `viewer` sees in it: anonymous works are left
    out of both for anyone but their creators, or the series would name them."""
    own = Creatorship.objects.filter(pseud__user=user, approved=True, series__isnull=False)
    qs = Series.objects.filter(pk__in=own.values("series_id")).annotate(
        work_total=Count("entries", filter=Q(_in_series(viewer, "entries__work_id")))
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


def drafts_of(user):
    """`user`'s own draft works, last saved first: for their eyes only."""
    return (
        Work.objects.visible_to(user)
        .credited_to(user, viewer=user)
        .filter(state=WorkState.DRAFT)
        .only("pk", "title", "modified_at")
        .order_by("-modified_at", "-pk")
    )


if TYPE_CHECKING:  # a Tag with the `count` that tag_facets annotates
    from typing import TypedDict

    from django_stubs_ext import WithAnnotations

    class _Counted(TypedDict):
        count: int

    CountedTag = WithAnnotations[Tag, _Counted]


def tag_facets(works, tag_types: list[TagType], limit: int = 30) -> dict[str, list["CountedTag"]]:
    """For each of `tag_types`, the filter tags of `works` (canonical forms
    and meta tags: what a filter by that tag finds), most used first, each
    with `.count`: one pass over the works' filter tags whatever the number
    of types (a prolific creator's works carry ten thousand tags)."""
    # Counted on the filter-tag rows alone (they carry the tag's type), then
    # the few tags shown are loaded: no tag looked up per row. A plain count:
    # a work has a filter tag once (filtertagging_unique).
    rank = Window(
        RowNumber(), partition_by=F("tag_type"), order_by=[F("count").desc(), F("tag_id")]
    )
    ranked = (
        FilterTagging.objects.filter(work__in=works.values("pk"), tag_type__in=tag_types)
        .values("tag_type", "tag_id")
        .annotate(count=Count("*"))
        .annotate(rank=rank)
        .filter(rank__lte=limit)
    )
    counts = {row["tag_id"]: row["count"] for row in ranked}
    facets: dict[str, list[CountedTag]] = {tag_type: [] for tag_type in tag_types}
    if not counts:
        return facets
    for tag in Tag.objects.filter(pk__in=list(counts)).only("id", "name", "slug", "type"):
        tag.count = counts[tag.pk]  # type: ignore[attr-defined]
        facets[tag.type].append(tag)  # type: ignore[arg-type]
    for counted in facets.values():
        counted.sort(key=lambda tag: (-tag.count, tag.name))
    return facets


def tag_facets_kept(works, tag_types: list[TagType], limit: int = 30):
    """tag_facets, kept in the cache until anything a list shows changes
    (duster.lib.pagecache.kept_while_lists_unchanged): one set per query, so
    per viewer."""
    if works.query.is_empty():
        return {tag_type: [] for tag_type in tag_types}
    query = str(works.values("pk").query)
    digest = hashlib.blake2b(f"{query}|{tag_types}|{limit}".encode(), digest_size=16)
    return kept_while_lists_unchanged(
        f"facets:{digest.hexdigest()}",
        lambda: tag_facets(works, tag_types, limit),
    )


def pending_invitations(user):
    """Co-creator invitations `user` has not answered yet."""
    return Creatorship.objects.filter(pseud__user=user, approved=False).select_related(
        "work", "series", "pseud"
    )
