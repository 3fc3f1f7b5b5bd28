"""Duster's open export format: everything an archive holds, as plain JSON.

Every export starts with the same header, `{"format": "duster-export",
"version": 1, "kind": …, "exported_at": …, "site": …}`, and every record
of one kind has the same shape wherever it appears, built by the one
`*_record` function below for that kind. Three exports use it:

- `works.json` in a writer's works zip (`writer_document`): their works,
  every chapter included (drafts, restricted and anonymous works too: they
  are theirs), and their series with the works in order.
- An account's own data (`account_document`): the account with its email
  and preferences, its pseuds, its works' metadata (no chapter text), and
  its bookmarks, history, comments, kudos, subscriptions, blocks, mutes and
  saved searches.
- The whole archive (`manage.py export_archive`): a zip
  holding `export.json` (the header, the file of each kind and its count)
  and one JSON Lines file per kind (`works.jsonl`, `users.jsonl`, …), one
  record a line, so a reader of a million works never needs the whole file
  in memory, and neither does the writer (tables are read in chunks).

Texts are the stored sanitized HTML, as readers see them. Dates are ISO
8601 in UTC. Records refer to each other by id (a work's `series`, a
series' `works` in order, a comment's `work_id`…). Nothing secret leaves:
no password hashes, no guest addresses or address digests, and an email
address only in the account's own export. An anonymous work names its
real creators (in exports for those creators or the archive owner) and
says `"anonymous": true`; a reader must keep hiding them.
"""

import json
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from duster.accounts.models import Block, Mute, Pseud, SavedSearch, User
from duster.community.models import Bookmark, Comment, Kudos, Reading, Subscription
from duster.downloads.book import absolute_url
from duster.images.models import Image
from duster.tags.models import Tag
from duster.works.models import (
    Chapter,
    Creatorship,
    Series,
    SeriesEntry,
    Work,
    WorkQuerySet,
    WorkState,
    byline_credits,
    source_fields,
)

FORMAT = "duster-export"
VERSION = 1

Record = dict[str, Any]


def header(kind: str) -> Record:
    """What every export starts with: which format, which version, what kind
    of export, when and from which archive."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "kind": kind,
        "exported_at": _when(timezone.now()),
        "site": settings.SITE_URL,
    }


def _when(moment: datetime | date | None) -> str | None:
    return moment.isoformat() if moment is not None else None


# --- Querysets: each kind's records in a fixed number of queries -----------


def works_for_export(works: WorkQuerySet, *, chapters: bool = True) -> WorkQuerySet:
    """`works` with what `work_record` reads prefetched: credits, tags,
    series places and (with `chapters`) every chapter, posted or not."""
    prefetches: list[Prefetch] = [
        Prefetch(
            "series_entries",
            queryset=SeriesEntry.objects.only("id", "work_id", "series_id", "position").order_by(
                "series_id"
            ),
            to_attr="export_series",
        )
    ]
    if chapters:
        prefetches.append(
            Prefetch(
                "chapters",
                queryset=Chapter.objects.defer(*source_fields(Chapter)).order_by("position", "pk"),
                to_attr="export_chapters",
            )
        )
    return works.for_reading().prefetch_related(*prefetches)


def series_for_export(series: QuerySet[Series]) -> QuerySet[Series]:
    return series.defer(*source_fields(Series)).prefetch_related(
        Prefetch("creatorships", queryset=byline_credits(), to_attr="credits"),
        Prefetch(
            "entries",
            queryset=SeriesEntry.objects.only("id", "series_id", "work_id", "position").order_by(
                "position", "pk"
            ),
            to_attr="export_entries",
        ),
    )


def users_for_export(users: QuerySet[User]) -> QuerySet[User]:
    return users.defer("password").prefetch_related(
        Prefetch("pseuds", queryset=Pseud.objects.order_by("pk"))
    )


def tags_for_export(tags: QuerySet[Tag]) -> QuerySet[Tag]:
    ids = Tag.objects.only("id").order_by("pk")
    return tags.defer("key", "match_key").prefetch_related(
        Prefetch("meta_tags", queryset=ids, to_attr="export_meta"),
        Prefetch("fandoms", queryset=ids, to_attr="export_fandoms"),
        Prefetch("characters", queryset=ids, to_attr="export_characters"),
    )


def bookmarks_for_export(bookmarks: QuerySet[Bookmark]) -> QuerySet[Bookmark]:
    return bookmarks.prefetch_related(
        Prefetch("tags", queryset=Tag.objects.only("id", "name").order_by("name"))
    )


# Columns of a work a reference to it (title, link) does not need.
_WORK_WIDE = ("summary", "notes", "end_notes", *source_fields(Work))


def _with_work(rows: QuerySet, *, also: Iterable[str] = ()) -> QuerySet:
    """`rows` with their work (title, state) and `also` joined in one query."""
    return rows.select_related("work", *also).defer(*(f"work__{name}" for name in _WORK_WIDE))


# --- Records: one function per kind ----------------------------------------


def pseud_ref(pseud: Pseud) -> Record:
    return {
        "pseud_id": pseud.pk,
        "pseud": pseud.name,
        "user_id": pseud.user_id,
        "username": pseud.user.username,
    }


def work_record(work: Work) -> Record:
    """A work from `works_for_export`: its metadata, creators, tags, series
    places and, when they were fetched, its chapters (posted or not)."""
    record: Record = {
        "id": work.pk,
        "url": absolute_url(work.get_absolute_url()),
        "title": work.title,
        "state": work.state,
        "restricted": work.restricted,
        "anonymous": work.anonymous,
        "creators": [pseud_ref(pseud) for pseud in work.credited_pseuds()],
        "language": work.language,
        "rating": work.rating,
        "warnings": work.warnings,
        "categories": work.categories,
        # In the writer's order; warnings and categories are tags too.
        "tags": [{"id": tag.pk, "name": tag.name, "type": tag.type} for tag in work.tags.all()],
        "summary": work.summary,
        "notes": work.notes,
        "end_notes": work.end_notes,
        "complete": work.complete,
        "expected_chapters": work.expected_chapters,
        "chapter_count": work.chapter_count,
        "word_count": work.word_count,
        "comment_policy": work.comment_policy,
        "moderated_comments": work.moderated_comments,
        "published_at": _when(work.published_at),
        "updated_at": _when(work.updated_at),
        "completed_at": _when(work.completed_at),
        "created_at": _when(work.created_at),
        "modified_at": _when(work.modified_at),
        "stats": {
            "hits": work.hits,
            "kudos": work.kudos_count,
            "comments": work.comment_count,
            "bookmarks": work.bookmark_count,
        },
        "series": [
            {"id": entry.series_id, "position": entry.position}
            for entry in getattr(work, "export_series", ())
        ],
    }
    chapters = getattr(work, "export_chapters", None)
    if chapters is not None:
        record["chapters"] = [chapter_record(chapter) for chapter in chapters]
    return record


def chapter_record(chapter: Chapter) -> Record:
    return {
        "id": chapter.pk,
        "position": chapter.position,
        "title": chapter.title,
        "posted": chapter.posted,
        "summary": chapter.summary,
        "notes": chapter.notes,
        "text": chapter.body,
        "end_notes": chapter.end_notes,
        "word_count": chapter.word_count,
        "published_at": _when(chapter.published_at),
        "created_at": _when(chapter.created_at),
        "modified_at": _when(chapter.modified_at),
    }


def series_record(series: Series) -> Record:
    """A series from `series_for_export`, its works' ids in the writer's order."""
    return {
        "id": series.pk,
        "url": absolute_url(series.get_absolute_url()),
        "title": series.title,
        "creators": [pseud_ref(pseud) for pseud in series.credited_pseuds()],
        "summary": series.summary,
        "notes": series.notes,
        "complete": series.complete,
        "created_at": _when(series.created_at),
        "updated_at": _when(series.updated_at),
        "works": [entry.work_id for entry in series.export_entries],  # type: ignore[attr-defined]
    }


def pseud_record(pseud: Pseud) -> Record:
    return {
        "id": pseud.pk,
        "name": pseud.name,
        "description": pseud.description,
        "default": pseud.is_default,
        "created_at": _when(pseud.created_at),
    }


def preferences_record(user: User) -> Record:
    return {
        "view_adult": user.view_adult,
        "time_zone": user.time_zone,
        "reader_theme": user.reader_theme,
        "reader_story_font": user.reader_story_font,
        "reader_story_size": user.reader_story_size,
        "reader_story_leading": user.reader_story_leading,
        "reader_story_width": user.reader_story_width,
        "reader_full_work": user.reader_full_work,
        "notification_email": user.notification_email,
        "history_enabled": user.history_enabled,
    }


def user_record(user: User, *, with_email: bool = False) -> Record:
    """An account from `users_for_export`: never its password hash; its
    email address only with `with_email` (the account's own export)."""
    record: Record = {
        "id": user.pk,
        "username": user.username,
        "url": absolute_url(user.get_absolute_url()),
        "active": user.is_active,
        "staff": user.is_staff,
        "superuser": user.is_superuser,
        "date_joined": _when(user.date_joined),
        "last_login": _when(user.last_login),
        "preferences": preferences_record(user),
        "pseuds": [pseud_record(pseud) for pseud in user.pseuds.all()],
    }
    if with_email:
        record["email"] = user.email
    return record


def tag_record(tag: Tag) -> Record:
    """A tag from `tags_for_export` with its links: the canonical tag it is a
    synonym of, its meta tags, parent fandoms and (relationships) characters."""
    return {
        "id": tag.pk,
        "name": tag.name,
        "type": tag.type,
        "slug": tag.slug,
        "canonical": tag.canonical,
        "fixed": tag.fixed,
        "media": tag.media,
        "synonym_of": tag.merger_id,
        "meta_tags": [t.pk for t in tag.export_meta],  # type: ignore[attr-defined]
        "fandoms": [t.pk for t in tag.export_fandoms],  # type: ignore[attr-defined]
        "characters": [t.pk for t in tag.export_characters],  # type: ignore[attr-defined]
        "created_at": _when(tag.created_at),
    }


def work_ref(work: Work | None) -> Record | None:
    """A posted work's title and address, for a person's own lists; None
    for a work they can no longer read (a draft again, or hidden)."""
    if work is None or work.state != WorkState.POSTED:
        return None
    return {"title": work.title, "url": absolute_url(work.get_absolute_url())}


def series_ref(series: Series | None) -> Record | None:
    if series is None:
        return None
    return {"title": series.title, "url": absolute_url(series.get_absolute_url())}


def user_ref(user: User | None) -> Record | None:
    if user is None:
        return None
    return {"username": user.username, "url": absolute_url(user.get_absolute_url())}


def comment_record(comment: Comment, *, titled: bool = False) -> Record:
    """A comment: who (member or guest name; never a guest's address), where
    (work, chapter, parent and thread), what and when."""
    record: Record = {
        "id": comment.pk,
        "work_id": comment.work_id,
        "chapter_id": comment.chapter_id,
        "parent_id": comment.parent_id,
        "thread_id": comment.thread_id,
        "user_id": comment.user_id,
        "pseud_id": comment.pseud_id,
        "guest_name": comment.guest_name,
        "text": comment.body,
        "state": comment.state,
        "by_creator": comment.by_creator,
        "frozen": comment.frozen,
        "rating": comment.rating,
        "created_at": _when(comment.created_at),
        "edited_at": _when(comment.edited_at),
    }
    if titled:
        record["work"] = work_ref(comment.work)
    return record


def kudos_record(kudos: Kudos, *, titled: bool = False) -> Record:
    """Kudos: on which work, from which member (None: a guest), when."""
    record: Record = {
        "id": kudos.pk,
        "work_id": kudos.work_id,
        "user_id": kudos.user_id,
        "day": _when(kudos.day),
        "created_at": _when(kudos.created_at),
    }
    if titled:
        record["work"] = work_ref(kudos.work)
    return record


def bookmark_record(bookmark: Bookmark, *, titled: bool = False) -> Record:
    """A bookmark from `bookmarks_for_export` (private ones say so)."""
    record: Record = {
        "id": bookmark.pk,
        "user_id": bookmark.user_id,
        "pseud_id": bookmark.pseud_id,
        "work_id": bookmark.work_id,
        "series_id": bookmark.series_id,
        "notes": bookmark.notes,
        "tags": [tag.name for tag in bookmark.tags.all()],
        "private": bookmark.private,
        "rec": bookmark.rec,
        "created_at": _when(bookmark.created_at),
        "updated_at": _when(bookmark.updated_at),
    }
    if titled:
        if bookmark.series_id is not None:
            record["series"] = series_ref(bookmark.series)
        else:
            record["work"] = work_ref(bookmark.work)
    return record


def subscription_record(subscription: Subscription, *, titled: bool = False) -> Record:
    """What a member follows: a work, a series or a creator."""
    record: Record = {
        "id": subscription.pk,
        "user_id": subscription.user_id,
        "work_id": subscription.work_id,
        "series_id": subscription.series_id,
        "creator_id": subscription.creator_id,
        "created_at": _when(subscription.created_at),
    }
    if titled:
        if subscription.work_id is not None:
            record["work"] = work_ref(subscription.work)
        elif subscription.series_id is not None:
            record["series"] = series_ref(subscription.series)
        else:
            record["creator"] = user_ref(subscription.creator)
    return record


def history_record(reading: Reading, *, titled: bool = False) -> Record:
    """A reading-history entry (and the Marked for Later flag)."""
    record: Record = {
        "user_id": reading.user_id,
        "work_id": reading.work_id,
        "chapter_id": reading.chapter_id,
        "visits": reading.visits,
        "last_read_at": _when(reading.last_read_at),
        "marked_for_later": reading.marked_for_later,
    }
    if titled:
        record["work"] = work_ref(reading.work)
    return record


def block_record(block: Block, *, named: bool = False) -> Record:
    record: Record = {
        "blocker_id": block.blocker_id,
        "blocked_id": block.blocked_id,
        "created_at": _when(block.created_at),
    }
    if named:
        record["blocked"] = user_ref(block.blocked)
    return record


def mute_record(mute: Mute, *, named: bool = False) -> Record:
    record: Record = {
        "user_id": mute.user_id,
        "tag_id": mute.tag_id,
        "muted_user_id": mute.muted_user_id,
        "created_at": _when(mute.created_at),
    }
    if named:
        if mute.tag is not None:
            record["tag"] = {"name": mute.tag.name, "type": mute.tag.type}
        else:
            record["muted_user"] = user_ref(mute.muted_user)
    return record


def saved_search_record(search: SavedSearch) -> Record:
    return {
        "id": search.pk,
        "user_id": search.user_id,
        "name": search.name,
        "query": search.query,
        "url": absolute_url(search.get_absolute_url()),
        "created_at": _when(search.created_at),
    }


def image_record(image: Image) -> Record:
    """An uploaded picture; its file is in the archive export at `file`."""
    return {
        "id": image.pk,
        "uploader_id": image.uploader_id,
        "url": absolute_url(image.get_absolute_url()),
        "file": f"images/{image.filename}",
        "original_name": image.original_name,
        "content_type": image.content_type,
        "size": image.size,
        "width": image.width,
        "height": image.height,
        "created_at": _when(image.created_at),
    }


# --- A writer's works and an account's data --------------------------------


def works_of(user: User) -> WorkQuerySet:
    """Every work `user` is an accepted creator of, whatever its state."""
    credits = Creatorship.objects.filter(pseud__user=user, approved=True, work__isnull=False)
    return Work.objects.filter(pk__in=credits.values("work_id")).order_by("pk")


def series_of(user: User) -> QuerySet[Series]:
    """The series `user` is credited on, and any series holding their works."""
    credits = Creatorship.objects.filter(pseud__user=user, approved=True, series__isnull=False)
    holding = SeriesEntry.objects.filter(work__in=works_of(user)).values("series_id")
    return Series.objects.filter(
        Q(pk__in=credits.values("series_id")) | Q(pk__in=holding)
    ).order_by("pk")


def writer_document(user: User) -> Record:
    """`works.json` of a writer's zip: all their works, chapters included,
    and their series in order. No email address: a zip of works gets shared."""
    return {
        **header("works"),
        "user": user_record(next(iter(users_for_export(User.objects.filter(pk=user.pk))))),
        "works": [work_record(work) for work in works_for_export(works_of(user))],
        "series": [series_record(series) for series in series_for_export(series_of(user))],
    }


def account_document(user: User) -> Record:
    """Everything an account holds for its owner's eyes: the account with
    email and preferences, works' metadata, bookmarks (private ones too),
    history, comments, kudos given, subscriptions, blocks, mutes and saved
    searches. Only this account's own rows: a fixed number of queries."""
    account = next(iter(users_for_export(User.objects.filter(pk=user.pk))))
    bookmarks = bookmarks_for_export(
        _with_work(Bookmark.objects.filter(user=user), also=("series",)).order_by("pk")
    )
    subscriptions = _with_work(
        Subscription.objects.filter(user=user), also=("series", "creator")
    ).order_by("pk")
    return {
        **header("account"),
        "user": user_record(account, with_email=True),
        "works": [work_record(work) for work in works_for_export(works_of(user), chapters=False)],
        "series": [series_record(series) for series in series_for_export(series_of(user))],
        "bookmarks": [bookmark_record(b, titled=True) for b in bookmarks],
        "history": [
            history_record(reading, titled=True)
            for reading in _with_work(Reading.objects.filter(user=user)).order_by(
                "-last_read_at", "pk"
            )
        ],
        "comments": [
            comment_record(comment, titled=True)
            for comment in _with_work(Comment.objects.filter(user=user)).order_by("pk")
        ],
        "kudos": [
            kudos_record(kudos, titled=True)
            for kudos in _with_work(Kudos.objects.filter(user=user)).order_by("pk")
        ],
        "subscriptions": [subscription_record(s, titled=True) for s in subscriptions],
        "blocks": [
            block_record(block, named=True)
            for block in Block.objects.filter(blocker=user).select_related("blocked").order_by("pk")
        ],
        "mutes": [
            mute_record(mute, named=True)
            for mute in Mute.objects.filter(user=user)
            .select_related("tag", "muted_user")
            .order_by("pk")
        ],
        "saved_searches": [
            saved_search_record(search)
            for search in SavedSearch.objects.filter(user=user).order_by("pk")
        ],
    }


def dumps(document: Record) -> bytes:
    """A document as readable UTF-8 JSON."""
    return json.dumps(document, ensure_ascii=False, indent=2).encode()
