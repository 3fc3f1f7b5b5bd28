"""Canonical tags, synonyms and meta tags: changes that re-filter works."""

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from duster.tags.filtering import meta_cycle_check, refilter_tags
from duster.tags.models import MetaTagging, Tag, TagFandom
from duster.tags.wrangling.services.common import (
    canonical_required,
    log,
    names_shown,
    prepare,
    refuse_fixed,
    same_type,
    save,
)

# Canonical or not


@transaction.atomic
def tag_make_canonical(*, actor, tags: Sequence[Tag]) -> list[Tag]:
    """Make unwrangled tags (or synonyms, which leave their canonical) canonical."""
    tags, _ = prepare(actor, tags)
    refuse_fixed(tags)
    changed, ids = [], []
    for tag in tags:
        if tag.canonical:
            continue
        before = {"canonical": False, "merger": tag.merger_id}
        ids += [tag.pk] + ([tag.merger_id] if tag.merger_id else [])
        tag.canonical, tag.merger = True, None
        save(tag, ["canonical", "merger"])
        log(
            actor=actor,
            tag=tag,
            action="canonical",
            before=before,
            after={"canonical": True, "merger": None},
        )
        changed.append(tag)
    refilter_tags(tag_ids=ids, reason=f"made canonical: {names_shown(changed)}")
    return changed


def uncanonical_blockers(tag: Tag) -> str | None:
    reasons = []
    if tag.synonyms.exists():
        reasons.append("synonyms")
    if tag.sub_taggings.exists():
        reasons.append("sub tags")
    if tag.meta_taggings.exists():
        reasons.append("meta tags")
    if tag.child_links.exists():
        reasons.append("tags in it")
    if reasons:
        return (
            f"“{tag.name}” has {' and '.join(reasons)}: move or remove them before it stops "
            "being canonical."
        )
    return None


@transaction.atomic
def tag_make_uncanonical(*, actor, tags: Sequence[Tag]) -> list[Tag]:
    """Make canonical tags unwrangled; refused for a tag with synonyms, sub or
    meta tags, or tags in it (a fandom)."""
    tags, _ = prepare(actor, tags)
    refuse_fixed(tags)
    for tag in tags:
        if tag.canonical and (blocker := uncanonical_blockers(tag)):
            raise ValidationError({"tags": blocker})
    changed = [t for t in tags if t.canonical]
    for tag in changed:
        tag.canonical = False
        save(tag, ["canonical"])
        log(
            actor=actor,
            tag=tag,
            action="uncanonical",
            before={"canonical": True},
            after={"canonical": False},
        )
    refilter_tags(tag_ids=[t.pk for t in changed], reason=f"not canonical: {names_shown(changed)}")
    return changed


# Synonyms


def _move_links(tag: Tag, into: Tag) -> dict[str, list[list[int]]]:
    """Move a tag's synonyms, meta and sub tags, fandom links and characters
    to `into`: {kind: [[other tag id, 1 if the link to `into` is new]]}."""
    moved: dict[str, list[list[int]]] = {}
    synonyms = list(tag.synonyms.values_list("pk", flat=True))
    if synonyms:
        Tag.objects.filter(pk__in=synonyms).update(merger=into)
        moved["synonyms"] = [[pk, 1] for pk in synonyms]
    for link in MetaTagging.objects.filter(meta=tag).select_related("sub"):
        if link.sub_id != into.pk:
            meta_cycle_check(link.sub, into)
        new = (
            link.sub_id != into.pk
            and not MetaTagging.objects.filter(sub_id=link.sub_id, meta=into).exists()
        )
        link.delete()
        if new:
            MetaTagging.objects.create(sub_id=link.sub_id, meta=into)
        moved.setdefault("subs", []).append([link.sub_id, int(new)])
    for link in MetaTagging.objects.filter(sub=tag).select_related("meta"):
        if link.meta_id != into.pk:
            meta_cycle_check(into, link.meta)
        new = (
            link.meta_id != into.pk
            and not MetaTagging.objects.filter(sub=into, meta_id=link.meta_id).exists()
        )
        link.delete()
        if new:
            MetaTagging.objects.create(sub=into, meta_id=link.meta_id)
        moved.setdefault("metas", []).append([link.meta_id, int(new)])
    for field, other, kind in (("tag", "fandom", "fandoms"), ("fandom", "tag", "children")):
        for fandom_link in TagFandom.objects.filter(**{field: tag}):
            other_id = getattr(fandom_link, f"{other}_id")
            new = (
                other_id != into.pk
                and not TagFandom.objects.filter(**{field: into, f"{other}_id": other_id}).exists()
            )
            fandom_link.delete()
            if new:
                TagFandom.objects.create(**{field: into, f"{other}_id": other_id})
            moved.setdefault(kind, []).append([other_id, int(new)])
    through = Tag.characters.through
    for field, other, kind in (
        ("from_tag", "to_tag", "characters"),
        ("to_tag", "from_tag", "relationships"),
    ):
        for character_link in through.objects.filter(**{field: tag}):
            other_id = getattr(character_link, f"{other}_id")
            new = (
                other_id != into.pk
                and not through.objects.filter(**{field: into, f"{other}_id": other_id}).exists()
            )
            character_link.delete()
            if new:
                through.objects.create(**{field: into, f"{other}_id": other_id})
            moved.setdefault(kind, []).append([other_id, int(new)])
    return moved


def links_restore(tag: Tag, into_id: int, moved: dict[str, list[list[int]]]) -> None:
    """Undo `_move_links`: the links go back from `into` to `tag`."""
    through = Tag.characters.through
    for other_id, _new in moved.get("synonyms", []):
        Tag.objects.filter(pk=other_id, merger_id=into_id).update(merger=tag)
    specs: dict[str, tuple[Any, str, str]] = {
        "subs": (MetaTagging, "meta_id", "sub_id"),
        "metas": (MetaTagging, "sub_id", "meta_id"),
        "fandoms": (TagFandom, "tag_id", "fandom_id"),
        "children": (TagFandom, "fandom_id", "tag_id"),
        "characters": (through, "from_tag_id", "to_tag_id"),
        "relationships": (through, "to_tag_id", "from_tag_id"),
    }
    for kind, (model, own, other) in specs.items():
        for other_id, new in moved.get(kind, []):
            if not Tag.objects.filter(pk=other_id).exists():
                continue
            if new:
                model.objects.filter(**{own: into_id, other: other_id}).delete()
            model.objects.get_or_create(**{own: tag.pk, other: other_id})


@transaction.atomic
def tag_merge(*, actor, tags: Sequence[Tag], into: Tag) -> list[Tag]:
    """Make `tags` synonyms of the canonical tag `into`. A canonical tag
    merged stops being canonical; its synonyms, meta and sub tags, fandoms
    and characters move to `into`. Works follow through their filter tags."""
    tags, (into,) = prepare(actor, tags, into)
    refuse_fixed([into], "into")
    refuse_fixed(tags)
    if not into.canonical:
        raise ValidationError(
            {"into": f"“{into.name}” is not canonical: make it canonical first, then merge."}
        )
    for tag in tags:
        if tag.pk == into.pk:
            raise ValidationError({"tags": f"“{tag.name}” can't be a synonym of itself."})
        same_type(tag, into, "into")
    changed = []
    for tag in tags:
        if tag.merger_id == into.pk:
            continue
        before = {"canonical": tag.canonical, "merger": tag.merger_id}
        moved = _move_links(tag, into)
        tag.canonical, tag.merger = False, into
        save(tag, ["canonical", "merger"])
        log(
            actor=actor,
            tag=tag,
            action="merge",
            before=before,
            after={"canonical": False, "merger": into.pk, "moved": moved},
        )
        # So the canonical tag's own log says what became its synonym (not undoable:
        # the merge is undone from the synonym's log).
        log(
            actor=actor,
            tag=into,
            action="synonym_added",
            before={},
            after={"synonym": tag.pk, "name": tag.name},
        )
        changed.append(tag)
    old_mergers = [t.pk for t in changed]
    refilter_tags(
        tag_ids=[into.pk, *old_mergers],
        reason=f"merged {names_shown(changed)} into “{into.name}”",
    )
    return changed


@transaction.atomic
def tag_unmerge(*, actor, tags: Sequence[Tag]) -> list[Tag]:
    """Synonyms become unwrangled tags that stand for themselves again."""
    tags, _ = prepare(actor, tags)
    changed = [t for t in tags if t.merger_id]
    if not changed:
        raise ValidationError({"tags": "None of these tags is a synonym."})
    ids: list[int] = []
    for tag in changed:
        assert tag.merger_id is not None
        ids += [tag.pk, tag.merger_id]
        log(
            actor=actor,
            tag=tag,
            action="unmerge",
            before={"merger": tag.merger_id},
            after={"merger": None},
        )
        tag.merger = None
        save(tag, ["merger"])
    refilter_tags(tag_ids=ids, reason=f"un-merged {names_shown(changed)}")
    return changed


# Meta tags


@transaction.atomic
def tag_meta_add(*, actor, tags: Sequence[Tag], meta: Tag) -> list[Tag]:
    """Make `meta` a meta tag of each of `tags` (same type, never a cycle)."""
    tags, (meta,) = prepare(actor, tags, meta)
    refuse_fixed([meta], "meta")
    refuse_fixed(tags)
    canonical_required([meta], "meta", "be meta tags")
    canonical_required(tags, "tags", "have meta tags")
    changed = []
    for tag in tags:
        try:
            meta_cycle_check(tag, meta)
        except ValidationError as error:
            raise ValidationError({"meta": error.messages}) from error
        if MetaTagging.objects.filter(sub=tag, meta=meta).exists():
            continue
        MetaTagging.objects.create(sub=tag, meta=meta)
        log(actor=actor, tag=tag, action="meta_add", before={}, after={"meta": meta.pk})
        changed.append(tag)
    refilter_tags(
        tag_ids=[meta.pk, *(t.pk for t in changed)],
        reason=f"“{meta.name}” made a meta tag of {names_shown(changed)}",
    )
    return changed


@transaction.atomic
def tag_meta_remove(*, actor, tags: Sequence[Tag], meta: Tag) -> list[Tag]:
    tags, (meta,) = prepare(actor, tags, meta)
    changed = []
    for tag in tags:
        if MetaTagging.objects.filter(sub=tag, meta=meta).delete()[0]:
            log(actor=actor, tag=tag, action="meta_remove", before={"meta": meta.pk}, after={})
            changed.append(tag)
    if not changed:
        raise ValidationError({"meta": f"“{meta.name}” is not a meta tag of {names_shown(tags)}."})
    refilter_tags(
        tag_ids=[meta.pk, *(t.pk for t in changed)],
        reason=f"“{meta.name}” no longer a meta tag of {names_shown(changed)}",
    )
    return changed
