"""Undoing a tag's last wrangling change, from its log row's before and after.

Only the last change to a tag that was not undone can be undone, and only
while the tag is still as that change left it; otherwise the wrangler gets a
message saying why and nothing changes."""

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from duster.tags.filtering import meta_cycle_check, refilter_tags
from duster.tags.models import MetaTagging, Tag, TagFandom, WranglingLog, tag_key
from duster.tags.wrangling.services.common import log, prepare, save
from duster.tags.wrangling.services.graph import links_restore, uncanonical_blockers
from duster.tags.wrangling.suggestions import REJECT_ACTION

UNDO_ACTION = "undo"


def _changed_since(tag: Tag) -> ValidationError:
    return ValidationError(
        {"tags": f"“{tag.name}” has changed since; this change can't be undone."}
    )


def _canonical_tag(pk: int | None, tag: Tag) -> Tag | None:
    """The tag `pk` if it can still be `tag`'s canonical tag."""
    if pk is None:
        return None
    other = Tag.objects.filter(pk=pk, canonical=True, type=tag.type).first()
    if other is None:
        raise ValidationError(
            {"tags": f"The tag “{tag.name}” was a synonym of is no longer canonical."}
        )
    return other


def _undo_canonical(tag: Tag, entry: WranglingLog) -> list[int]:
    if not tag.canonical:
        raise _changed_since(tag)
    if blocker := uncanonical_blockers(tag):
        raise ValidationError({"tags": blocker})
    merger = _canonical_tag(entry.before.get("merger"), tag)
    tag.canonical, tag.merger = False, merger
    save(tag, ["canonical", "merger"])
    return [tag.pk] + ([merger.pk] if merger else [])


def _undo_uncanonical(tag: Tag, entry: WranglingLog) -> list[int]:
    if tag.canonical or tag.merger_id:
        raise _changed_since(tag)
    tag.canonical = True
    save(tag, ["canonical"])
    return [tag.pk]


def _undo_merge(tag: Tag, entry: WranglingLog) -> list[int]:
    into_id = entry.after.get("merger")
    if tag.merger_id != into_id or tag.canonical:
        raise _changed_since(tag)
    if entry.before.get("canonical"):
        tag.canonical, tag.merger = True, None
    else:
        tag.merger = _canonical_tag(entry.before.get("merger"), tag)
    save(tag, ["canonical", "merger"])
    moved = entry.after.get("moved", {})
    for other_id, _new in moved.get("subs", []):
        sub = Tag.objects.filter(pk=other_id).first()
        if sub is not None:
            meta_cycle_check(sub, tag)
    for other_id, _new in moved.get("metas", []):
        meta = Tag.objects.filter(pk=other_id).first()
        if meta is not None:
            meta_cycle_check(tag, meta)
    links_restore(tag, into_id, moved)
    return [tag.pk, into_id] + ([tag.merger_id] if tag.merger_id else [])


def _undo_unmerge(tag: Tag, entry: WranglingLog) -> list[int]:
    if tag.merger_id or tag.canonical:
        raise _changed_since(tag)
    merger = _canonical_tag(entry.before.get("merger"), tag)
    tag.merger = merger
    save(tag, ["merger"])
    return [tag.pk] + ([merger.pk] if merger else [])


def _undo_meta_add(tag: Tag, entry: WranglingLog) -> list[int]:
    meta_id = entry.after.get("meta")
    if not MetaTagging.objects.filter(sub=tag, meta_id=meta_id).delete()[0]:
        raise _changed_since(tag)
    return [tag.pk, meta_id]


def _undo_meta_remove(tag: Tag, entry: WranglingLog) -> list[int]:
    meta = Tag.objects.filter(pk=entry.before.get("meta")).first()
    if meta is None or MetaTagging.objects.filter(sub=tag, meta=meta).exists():
        raise _changed_since(tag)
    meta_cycle_check(tag, meta)
    MetaTagging.objects.create(sub=tag, meta=meta)
    return [tag.pk, meta.pk]


def _undo_fandom_add(tag: Tag, entry: WranglingLog) -> list[int]:
    if not TagFandom.objects.filter(tag=tag, fandom_id=entry.after.get("fandom")).delete()[0]:
        raise _changed_since(tag)
    return []


def _undo_fandom_remove(tag: Tag, entry: WranglingLog) -> list[int]:
    fandom = Tag.objects.filter(pk=entry.before.get("fandom"), canonical=True).first()
    if fandom is None or TagFandom.objects.filter(tag=tag, fandom=fandom).exists():
        raise _changed_since(tag)
    TagFandom.objects.create(tag=tag, fandom=fandom)
    return []


def _undo_media(tag: Tag, entry: WranglingLog) -> list[int]:
    if tag.media != entry.after.get("media"):
        raise _changed_since(tag)
    tag.media = entry.before.get("media", "")
    save(tag, ["media"])
    return []


def _undo_rename(tag: Tag, entry: WranglingLog) -> list[int]:
    """The old name back; the synonym the rename made is folded into the tag
    (works that used it since keep this tag)."""
    from duster.works.models import WorkTag

    old = entry.before.get("name", "")
    if tag.name != entry.after.get("name") or not old:
        raise _changed_since(tag)
    synonym = Tag.objects.filter(pk=entry.after.get("synonym"), merger=tag).first()
    taken = Tag.objects.filter(type=tag.type, key=tag_key(old)).exclude(pk=tag.pk)
    if synonym is not None:
        taken = taken.exclude(pk=synonym.pk)
    if taken.exists():
        raise ValidationError({"tags": f"Another tag is called “{old}” now."})
    if synonym is not None:
        has_tag = WorkTag.objects.filter(tag=tag).values("work_id")
        WorkTag.objects.filter(tag=synonym).exclude(work_id__in=has_tag).update(tag=tag)
        synonym.delete()
    tag.name = old
    save(tag, ["name"])
    return [tag.pk]


def _undo_reject(tag: Tag, entry: WranglingLog) -> list[int]:
    return []


UNDO: dict[str, Callable[[Tag, WranglingLog], list[int]]] = {
    "canonical": _undo_canonical,
    "uncanonical": _undo_uncanonical,
    "merge": _undo_merge,
    "unmerge": _undo_unmerge,
    "meta_add": _undo_meta_add,
    "meta_remove": _undo_meta_remove,
    "fandom_add": _undo_fandom_add,
    "fandom_remove": _undo_fandom_remove,
    "media": _undo_media,
    "rename": _undo_rename,
    REJECT_ACTION: _undo_reject,
}


def undoable(entry: WranglingLog) -> bool:
    return entry.undone_at is None and entry.action in UNDO


@transaction.atomic
def wrangling_undo(*, actor, entry: WranglingLog) -> WranglingLog:
    """Undo one logged change, if it is its tag's last change not undone and
    the data still allows it; returns the log row of the undo."""
    (tag,), _ = prepare(actor, [entry.tag])
    entry = WranglingLog.objects.select_for_update().get(pk=entry.pk)
    if not undoable(entry):
        raise ValidationError({"tags": "This change can't be undone."})
    last = (
        WranglingLog.objects.filter(tag=tag, undone_at__isnull=True, action__in=list(UNDO))
        .order_by("-at", "-id")
        .first()
    )
    if last is None or last.pk != entry.pk:
        raise ValidationError(
            {"tags": f"Only the last change to “{tag.name}” can be undone, and this is not it."}
        )
    try:
        touched = UNDO[entry.action](tag, entry)
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            raise
        raise ValidationError({"tags": error.messages}) from error
    entry.undone_at = timezone.now()
    entry.save(update_fields=["undone_at"])
    undo = log(
        actor=actor,
        tag=tag,
        action=UNDO_ACTION,
        before=entry.after,
        after={**entry.before, "undoes": entry.pk, "undone_action": entry.action},
    )
    if touched:
        refilter_tags(tag_ids=touched, reason=f"undid {entry.action} on “{tag.name}”")
    return undo
