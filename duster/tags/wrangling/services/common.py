"""What every wrangling service does first: check, lock, log."""

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import connection

from duster.tags.models import Tag, WranglingLog
from duster.tags.wrangling.permissions import wrangling_check

# One key for pg_advisory_xact_lock: "the tag graph is being changed".
GRAPH_LOCK = 0x7A67


def graph_lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [GRAPH_LOCK])
    # SQLite: transactions that write are serialised (BEGIN IMMEDIATE).


def lock(tags: Sequence[Tag]) -> dict[int, Tag]:
    """The tags re-read and locked, in id order, by id."""
    graph_lock()
    ids = sorted({t.pk for t in tags})
    locked = {t.pk: t for t in Tag.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    missing = set(ids) - set(locked)
    if missing:
        raise ValidationError({"tags": "A tag you chose no longer exists."})
    return locked


def prepare(actor, tags: Sequence[Tag], *others: Tag) -> tuple[list[Tag], list[Tag]]:
    """Check the actor may wrangle `tags` and `others`, lock them all, and
    return them re-read from the database."""
    if not tags:
        raise ValidationError({"tags": "Choose at least one tag."})
    wrangling_check(actor, [*tags, *others])
    locked = lock([*tags, *others])
    return [locked[t.pk] for t in tags], [locked[o.pk] for o in others]


def log(*, actor, tag: Tag, action: str, before: dict, after: dict) -> WranglingLog:
    return WranglingLog.objects.create(
        actor=actor, tag=tag, action=action, before=before, after=after
    )


def refuse_fixed(tags: Sequence[Tag], field: str = "tags") -> None:
    for tag in tags:
        if tag.fixed:
            raise ValidationError(
                {field: f"“{tag.name}” is one of the archive's fixed tags; it can't be wrangled."}
            )


def type_name(tag: Tag) -> str:
    return tag.get_type_display().lower()


def same_type(tag: Tag, other: Tag, field: str) -> None:
    if tag.type != other.type:
        raise ValidationError(
            {
                field: f"“{tag.name}” is a {type_name(tag)} tag and “{other.name}” a "
                f"{type_name(other)} tag: they must be of the same type."
            }
        )


def save(tag: Tag, fields: list[str]) -> None:
    tag.full_clean(exclude=["slug"], validate_unique=False, validate_constraints=False)
    tag.save(update_fields=fields)


def names_shown(tags: Sequence[Tag]) -> str:
    shown = ", ".join(f"“{t.name}”" for t in tags[:5])
    return shown + (f" and {len(tags) - 5} more" if len(tags) > 5 else "")


def canonical_required(tags: Sequence[Tag], field: str, what: str) -> None:
    for tag in tags:
        if not tag.canonical:
            raise ValidationError(
                {field: f"“{tag.name}” is not canonical: only canonical tags can {what}."}
            )
