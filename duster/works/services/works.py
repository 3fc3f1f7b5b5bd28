import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from duster.accounts.models import Pseud, User
from duster.lib.richtext import full_clean_public, rich_text_apply
from duster.tags.filtering import work_filter_tags_refresh
from duster.tags.fixed import fixed_tags
from duster.tags.models import TagType
from duster.tags.services import tags_find_or_create, tags_validate
from duster.works.models import Chapter, Creatorship, Series, Work, WorkState, WorkTag
from duster.works.rules import tag_limit
from duster.works.services.chapters import (
    as_datetime,
    chapter_prepare,
    check_published_at,
    lock_work,
)
from duster.works.services.stats import work_refresh
from duster.works.signals import announce_on_commit, work_posted

WORK_FIELDS = (
    "title",
    "summary",
    "notes",
    "end_notes",
    "text_format",
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
PLAIN_FIELDS = tuple(n for n in WORK_FIELDS if n not in Work.RICH_TEXT and n != "text_format")
TAG_FIELDS = {
    "fandoms": TagType.FANDOM,
    "relationships": TagType.RELATIONSHIP,
    "characters": TagType.CHARACTER,
    "freeforms": TagType.FREEFORM,
}
# The first chapter's fields as the posting form names them.
_CHAPTER_ERROR_NAMES = {"title": "chapter_title", "published_at": "published_on"}


def _publication_time(published_on: dt.date | None) -> dt.datetime:
    """A backdated work keeps the time of day it was posted at, on the date given."""
    now = timezone.now()
    if published_on is None or published_on >= now.date():
        return now
    return now.replace(year=published_on.year, month=published_on.month, day=published_on.day)


class _Errors:
    """Collects the ValidationErrors of several checks, so a form shows every
    problem at once; raises them together (and rolls back) at the end."""

    def __init__(self) -> None:
        self.errors: dict[str, list] = {}

    def check(self, action, rename: dict[str, str] | None = None) -> None:
        try:
            action()
        except ValidationError as error:
            for name, messages in error.update_error_dict({}).items():
                self.errors.setdefault((rename or {}).get(name, name), []).extend(messages)

    def raise_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def work_validate_tags(tags: dict[str, list[str]]) -> None:
    """At least one fandom; per-type caps; each name a valid tag name."""
    errors = {}
    for field in TAG_FIELDS:
        limit = tag_limit(field)
        names = tags.get(field) or []
        try:
            tags_validate(names)
        except ValidationError as error:
            errors[field] = error.messages
            continue
        if len(names) > limit:
            errors[field] = [f"Use at most {limit} tags here (you have {len(names)})."]
    if not (tags.get("fandoms") or []) and "fandoms" not in errors:
        errors["fandoms"] = ["Add at least one fandom."]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def work_create(
    *,
    pseuds: list[Pseud],
    co_creators: Iterable[Pseud] = (),
    fields: dict,
    tags: dict[str, list[str]],
    chapter: dict,
    more_chapters: Iterable[dict] = (),
    published_on: dt.date | None = None,
    post: bool,
    series: Series | None = None,
    series_position: int | None = None,
) -> Work:
    """A new work with its first chapter (and `more_chapters` after it, as an
    import brings them), as a draft or posted at once. `fields` and each
    chapter hold typed text in fields["text_format"] (default HTML); a chapter
    may carry its own "published_at"."""
    if not pseuds:
        raise ValidationError({"pseuds": "Choose at least one of your pseuds."})
    work = Work()
    rich_text_apply(work, fields, plain=PLAIN_FIELDS)
    if published_on:
        work.published_at = _publication_time(published_on)
    first = Chapter(position=1, published_at=as_datetime(chapter.get("published_at")))
    errors = _Errors()
    errors.check(lambda: full_clean_public(work, exclude=["chapter_count"]))
    errors.check(lambda: work_validate_tags(tags))
    errors.check(lambda: chapter_prepare(first, chapter), _CHAPTER_ERROR_NAMES)
    rest = []
    for position, values in enumerate(more_chapters, start=2):
        later = Chapter(position=position, published_at=as_datetime(values.get("published_at")))
        try:
            check_published_at(later.published_at)  # as chapter_create checks a later chapter
            chapter_prepare(later, values)
        except ValidationError as error:
            errors.errors.setdefault("chapters", []).extend(
                f"Chapter {position}: {message}" for message in error.messages
            )
        rest.append(later)
    errors.raise_any()
    work.save()
    _set_creators(work=work, actor=pseuds[0].user, pseuds=pseuds, co_creators=co_creators)
    work_set_tags(work=work, tags=tags)
    first.work = work
    first.save()
    for later in rest:
        later.work = work
    Chapter.objects.bulk_create(rest)
    if post:
        work_post(work=work)
    else:
        work_refresh(work=work, recount=False)
    if series is not None:
        _add_to_series(work=work, series=series, position=series_position)
    return work


def _add_to_series(*, work: Work, series: Series, position: int | None) -> None:
    from duster.works.services.series import series_add_work

    try:
        series_add_work(series=series, work=work, position=position)
    except ValidationError as error:
        raise ValidationError({"series": error.messages}) from None


@transaction.atomic
def work_update(
    *,
    work: Work,
    pseuds: list[Pseud] | None = None,
    co_creators: Iterable[Pseud] | None = None,
    fields: dict,
    tags: dict[str, list[str]],
    published_on: dt.date | None = None,
    series: Series | None = None,
    series_position: int | None = None,
) -> Work:
    lock_work(work)
    rich_text_apply(work, fields, plain=PLAIN_FIELDS)
    redated = published_on is not None and (
        work.published_at is None or published_on != work.published_at.date()
    )
    if redated:
        work.published_at = _publication_time(published_on)
    errors = _Errors()
    if work.expected_chapters is not None and work.expected_chapters < work.chapter_count:
        errors.errors["expected_chapters"] = [
            f"This work already has {work.chapter_count} posted chapters; "
            "the expected count can't be lower."
        ]
    errors.check(lambda: full_clean_public(work))
    errors.check(lambda: work_validate_tags(tags))
    errors.raise_any()
    work.save()
    if redated and work.state != WorkState.DRAFT:
        # The first chapter was published with the work (see work_post).
        first = work.chapters.filter(posted=True).order_by("position").first()
        if first is not None:
            first.published_at = work.published_at
            first.save(update_fields=["published_at"])
    if pseuds is not None:
        _set_creators(
            work=work,
            actor=pseuds[0].user if pseuds else None,
            pseuds=pseuds,
            co_creators=co_creators,
        )
    work_set_tags(work=work, tags=tags)
    if series is not None and not work.series_entries.filter(series=series).exists():
        _add_to_series(work=work, series=series, position=series_position)
    work_refresh(work=work)
    return work


def _set_creators(
    *,
    work: Work,
    actor: User | None,
    pseuds: list[Pseud],
    co_creators: Iterable[Pseud] | None,
) -> None:
    """Credit `pseuds` (the acting user's own) and invite `co_creators`.

    Who may remove whom: each creator decides for their own pseuds; a credit
    or invitation of someone else goes only when its inviter leaves it out of
    `co_creators` (`None` keeps them all). A work's first creators were
    invited by nobody, so only they can remove themselves (work_leave)."""
    if not pseuds or actor is None:
        raise ValidationError({"pseuds": "Choose at least one of your pseuds."})
    wanted = {p.pk: p for p in pseuds}
    invited = {p.pk: p for p in co_creators or () if p.user_id != actor.pk}
    current = {c.pseud_id: c for c in work.creatorships.select_related("pseud__user")}
    kept_out = []
    for pseud_id, credit in current.items():
        if pseud_id in wanted or pseud_id in invited:
            continue
        if credit.pseud.user_id == actor.pk:
            credit.delete()
        elif co_creators is None:
            continue
        elif credit.invited_by_id == actor.pk:
            credit.delete()
        else:
            kept_out.append(credit.pseud)
    if kept_out:
        names = ", ".join(f"“{p.name} ({p.user.username})”" for p in kept_out)
        raise ValidationError(
            {
                "co_creators": (
                    f"You can't take {names} off this work: only the creator who invited "
                    "them, or they themselves, can. Put the name back to save your changes."
                )
            }
        )
    position = max((c.position for c in current.values()), default=-1) + 1
    for pseud in [*wanted.values(), *invited.values()]:
        if pseud.pk in current:
            continue
        mine = pseud.user_id == actor.pk
        Creatorship.objects.create(
            work=work,
            pseud=pseud,
            position=position,
            approved=mine,
            invited_by=None if mine else actor,
        )
        position += 1


@transaction.atomic
def work_leave(*, work: Work, user: User) -> None:
    """Take all of `user`'s credits (and open invitations) off the work. A work
    always keeps at least one accepted creator."""
    lock_work(work)
    credits = work.creatorships.filter(pseud__user=user)
    others = work.creatorships.filter(approved=True).exclude(pseud__user=user)
    if not credits.exists():
        raise ValidationError("You are not credited on this work.")
    if not others.exists():
        raise ValidationError(
            "You are this work's only creator. Delete the work instead, or invite a "
            "co-creator and wait for them to accept."
        )
    credits.delete()
    work_refresh(work=work)


def work_set_tags(*, work: Work, tags: dict[str, list[str]]) -> None:
    """Replace the work's fandoms, relationships, characters and additional tags,
    keeping the order the creator typed them in, and its archive warnings and
    categories (`work.warnings`, `work.categories`, fixed tags); then its
    filter tags, which also follow its rating."""
    fixed_values = {TagType.WARNING: work.warnings, TagType.CATEGORY: work.categories}
    rows: list[WorkTag] = []
    seen = set()
    for field, tag_type in TAG_FIELDS.items():
        for tag in tags_find_or_create(tag_type=tag_type, names=tags.get(field, [])):
            if tag.pk not in seen:
                seen.add(tag.pk)
                rows.append(WorkTag(work=work, tag=tag, position=len(rows)))
    fixed = fixed_tags()
    for tag_type, values in fixed_values.items():
        for value in dict.fromkeys(values):
            rows.append(WorkTag(work=work, tag=fixed[tag_type][value], position=len(rows)))
    WorkTag.objects.filter(work=work).delete()
    WorkTag.objects.bulk_create(rows)
    work.tags_changed()
    work_filter_tags_refresh(work_ids=[work.pk])


@transaction.atomic
def work_post(*, work: Work) -> Work:
    """Publish a draft: the work and all its chapters become visible. Chapters
    given their own date keep it; the first one otherwise takes the work's."""
    lock_work(work)
    now = timezone.now()
    chapters = list(work.chapters.order_by("position"))
    if work.published_at is None:
        dated = [c.published_at for c in chapters if c.published_at]
        work.published_at = min(dated) if dated else now
    work.state = WorkState.POSTED
    work.save(update_fields=["state", "published_at", "modified_at"])
    for chapter in chapters:
        if chapter.published_at is None:
            chapter.published_at = work.published_at if chapter is chapters[0] else now
        chapter.posted = True
    Chapter.objects.bulk_update(chapters, ["posted", "published_at"])
    work_refresh(work=work, recount=False)
    # Subscribers hear of it once it is there to read (see works.signals).
    announce_on_commit(work_posted, Work, work=work)
    return work


@transaction.atomic
def work_delete(*, work: Work) -> None:
    work.delete()


@transaction.atomic
def creatorship_respond(*, creatorship: Creatorship, accept: bool) -> None:
    """An invited co-creator accepts (and is credited) or declines."""
    if accept:
        creatorship.approved = True
        creatorship.save(update_fields=["approved"])
    else:
        creatorship.delete()
    if creatorship.work_id is not None:
        work_refresh(work=Work.objects.get(pk=creatorship.work_id))
