import datetime as dt
import hashlib
from collections.abc import Iterable

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from duster.accounts.models import Pseud
from duster.tags.models import TagType
from duster.tags.services import tags_find_or_create
from duster.works.models import Chapter, Creatorship, Work, WorkState, WorkTag
from duster.works.services.chapters import chapter_prepare
from duster.works.services.stats import work_refresh

WORK_FIELDS = (
    "title",
    "summary",
    "notes",
    "end_notes",
    "language",
    "rating",
    "warnings",
    "categories",
    "expected_chapters",
    "restricted",
    "comment_policy",
    "moderated_comments",
    "anonymous",
)
TAG_FIELDS = {
    "fandoms": TagType.FANDOM,
    "relationships": TagType.RELATIONSHIP,
    "characters": TagType.CHARACTER,
    "freeforms": TagType.FREEFORM,
}


def _publication_time(published_on: dt.date | None) -> dt.datetime:
    """A backdated work keeps the time of day it was posted at, on the date given."""
    now = timezone.now()
    if published_on is None or published_on >= now.date():
        return now
    return now.replace(year=published_on.year, month=published_on.month, day=published_on.day)


@transaction.atomic
def work_create(
    *,
    pseuds: list[Pseud],
    co_creators: Iterable[Pseud] = (),
    fields: dict,
    tags: dict[str, list[str]],
    chapter: dict,
    published_on: dt.date | None = None,
    post: bool,
) -> Work:
    """A new work with its first chapter, as a draft or posted at once."""
    if not pseuds:
        raise ValidationError({"pseuds": "Choose at least one of your pseuds."})
    work = Work(**{name: fields[name] for name in WORK_FIELDS if name in fields})
    if published_on:
        work.published_at = _publication_time(published_on)
    work.full_clean(exclude=["chapter_count"])
    work.save()
    _set_creators(work=work, pseuds=pseuds, co_creators=co_creators)
    work_set_tags(work=work, tags=tags)
    first = Chapter(work=work, position=1, **chapter)
    chapter_prepare(first)
    first.save()
    if post:
        work_post(work=work)
    else:
        work_refresh(work=work)
    return work


@transaction.atomic
def work_update(
    *,
    work: Work,
    pseuds: list[Pseud] | None = None,
    co_creators: Iterable[Pseud] | None = None,
    fields: dict,
    tags: dict[str, list[str]],
    published_on: dt.date | None = None,
) -> Work:
    for name in WORK_FIELDS:
        if name in fields:
            setattr(work, name, fields[name])
    redated = published_on is not None and (
        work.published_at is None or published_on != work.published_at.date()
    )
    if redated:
        work.published_at = _publication_time(published_on)
    if work.expected_chapters is not None and work.expected_chapters < work.chapter_count:
        raise ValidationError(
            {
                "expected_chapters": (
                    f"This work already has {work.chapter_count} posted chapters; "
                    "the expected count can't be lower."
                )
            }
        )
    work.full_clean()
    work.save()
    if redated and work.state != WorkState.DRAFT:
        # The first chapter was published with the work (see work_post).
        first = work.chapters.filter(posted=True).order_by("position").first()
        if first is not None:
            first.published_at = work.published_at
            first.save(update_fields=["published_at"])
    if pseuds is not None:
        _set_creators(work=work, pseuds=pseuds, co_creators=co_creators)
    work_set_tags(work=work, tags=tags)
    work_refresh(work=work)
    return work


def _set_creators(*, work: Work, pseuds: list[Pseud], co_creators: Iterable[Pseud] | None) -> None:
    """Credit `pseuds` (the editing user's own) and invite `co_creators`.
    Pseuds of other users already credited or invited stay unless left out of
    `co_creators`; with `co_creators=None` they all stay."""
    if not pseuds:
        raise ValidationError({"pseuds": "Choose at least one of your pseuds."})
    owner = pseuds[0].user_id
    wanted = {p.pk: p for p in pseuds}
    invited = {p.pk: p for p in co_creators or () if p.user_id != owner}
    current = {c.pseud_id: c for c in work.creatorships.select_related("pseud")}
    for pseud_id, credit in current.items():
        if pseud_id in wanted or pseud_id in invited:
            continue
        if co_creators is None and credit.pseud.user_id != owner:
            continue
        credit.delete()
    position = max((c.position for c in current.values()), default=-1) + 1
    for pseud in [*wanted.values(), *invited.values()]:
        if pseud.pk in current:
            continue
        Creatorship.objects.create(
            work=work, pseud=pseud, position=position, approved=pseud.user_id == owner
        )
        position += 1


def work_set_tags(*, work: Work, tags: dict[str, list[str]]) -> None:
    """Replace the work's fandoms, relationships, characters and additional tags,
    keeping the order the creator typed them in."""
    rows = []
    seen = set()
    for field, tag_type in TAG_FIELDS.items():
        for tag in tags_find_or_create(tag_type=tag_type, names=tags.get(field, [])):
            if tag.pk not in seen:
                seen.add(tag.pk)
                rows.append(WorkTag(work=work, tag=tag, position=len(rows)))
    WorkTag.objects.filter(work=work).delete()
    WorkTag.objects.bulk_create(rows)


@transaction.atomic
def work_post(*, work: Work) -> Work:
    """Publish a draft: the work and all its chapters become visible."""
    now = timezone.now()
    if work.published_at is None:
        work.published_at = now
    work.state = WorkState.POSTED
    work.save(update_fields=["state", "published_at", "modified_at"])
    first = work.chapters.order_by("position").first()
    work.chapters.filter(posted=False).update(posted=True, published_at=now)
    if first is not None:
        work.chapters.filter(pk=first.pk).update(published_at=work.published_at)
    work_refresh(work=work)
    return work


@transaction.atomic
def work_delete(*, work: Work) -> None:
    work.delete()


def work_record_hit(*, work: Work, visitor: str) -> bool:
    """Count one hit per visitor per work per day.

    The shared cache remembers who was counted today, so reloads cost no
    database write; only a visitor's first view of the day updates the row."""
    today = timezone.now().date().isoformat()
    digest = hashlib.sha256(f"{visitor}|{work.pk}|{today}".encode()).hexdigest()[:32]
    if not cache.add(f"hit:{digest}", 1, timeout=60 * 60 * 26):
        return False
    Work.objects.filter(pk=work.pk).update(hits=F("hits") + 1)
    return True


def creatorship_respond(*, creatorship: Creatorship, accept: bool) -> None:
    """An invited co-creator accepts (and is credited) or declines."""
    with transaction.atomic():
        if accept:
            creatorship.approved = True
            creatorship.save(update_fields=["approved"])
        else:
            creatorship.delete()
