"""Parent fandoms, media types and renames."""

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction

from duster.tags.filtering import refilter_tags
from duster.tags.models import (
    FANDOM_CHILD_TYPES,
    Media,
    Tag,
    TagFandom,
    TagType,
    tag_key,
    tag_name_normalize,
    tag_name_validate,
)
from duster.tags.services import tags_find_or_create
from duster.tags.wrangling.services.common import (
    canonical_required,
    log,
    names_shown,
    prepare,
    refuse_fixed,
    save,
    type_name,
)

# Fandoms
# Parent fandoms and media types are not part of filter tags: no re-filter.


def _fandom_parent_check(tags: Sequence[Tag], fandom: Tag) -> None:
    if fandom.type != TagType.FANDOM:
        raise ValidationError(
            {"fandom": f"“{fandom.name}” is a {type_name(fandom)} tag, not a fandom."}
        )
    canonical_required([fandom], "fandom", "be parent fandoms")
    for tag in tags:
        if tag.type not in FANDOM_CHILD_TYPES:
            raise ValidationError(
                {"tags": f"“{tag.name}” is a {type_name(tag)} tag: it can't have parent fandoms."}
            )


@transaction.atomic
def tag_fandom_add(*, actor, tags: Sequence[Tag], fandom: Tag) -> list[Tag]:
    """Put characters, relationships or additional tags in a canonical fandom."""
    tags, (fandom,) = prepare(actor, tags, fandom)
    _fandom_parent_check(tags, fandom)
    changed = []
    for tag in tags:
        if TagFandom.objects.filter(tag=tag, fandom=fandom).exists():
            continue
        TagFandom.objects.create(tag=tag, fandom=fandom)
        log(actor=actor, tag=tag, action="fandom_add", before={}, after={"fandom": fandom.pk})
        changed.append(tag)
    return changed


@transaction.atomic
def tag_fandom_remove(*, actor, tags: Sequence[Tag], fandom: Tag) -> list[Tag]:
    tags, (fandom,) = prepare(actor, tags, fandom)
    changed = []
    for tag in tags:
        if TagFandom.objects.filter(tag=tag, fandom=fandom).delete()[0]:
            log(
                actor=actor, tag=tag, action="fandom_remove", before={"fandom": fandom.pk}, after={}
            )
            changed.append(tag)
    if not changed:
        raise ValidationError({"fandom": f"{names_shown(tags)} is not in “{fandom.name}”."})
    return changed


@transaction.atomic
def tag_media_set(*, actor, tags: Sequence[Tag], media: str) -> list[Tag]:
    """Set the media type (TV shows, books, …) of fandoms; "" for none."""
    if media and media not in Media.values:
        raise ValidationError({"media_type": f"“{media}” is not a media type."})
    tags, _ = prepare(actor, tags)
    changed = []
    for tag in tags:
        if tag.type != TagType.FANDOM:
            raise ValidationError(
                {"tags": f"“{tag.name}” is a {type_name(tag)} tag: only fandoms have media types."}
            )
        if tag.media == media:
            continue
        before = {"media": tag.media}
        tag.media = media
        save(tag, ["media"])
        log(actor=actor, tag=tag, action="media", before=before, after={"media": media})
        changed.append(tag)
    return changed


# Renaming


@transaction.atomic
def tag_rename(*, actor, tag: Tag, name: str) -> Tag:
    """Rename a canonical tag; the old name stays as its synonym, so writers
    who type it still find this tag. A change of case or spacing only just
    renames."""
    (tag,), _ = prepare(actor, [tag])
    refuse_fixed([tag])
    try:
        tag_name_validate(name)
    except ValidationError as error:
        raise ValidationError({"name": error.messages}) from error
    name = tag_name_normalize(name)
    if not tag.canonical:
        raise ValidationError(
            {"tags": f"“{tag.name}” is not canonical: only canonical tags are renamed."}
        )
    if name == tag.name:
        raise ValidationError({"name": "That is the tag's name already."})
    old = tag.name
    same_key = tag_key(name) == tag.key
    if not same_key:
        taken = Tag.objects.filter(type=tag.type, key=tag_key(name)).first()
        if taken is not None:
            what = f"a synonym of “{taken.merger.name}”" if taken.merger else "a tag already"
            raise ValidationError(
                {"name": f"“{taken.name}” is {what}: merge it, or choose another name."}
            )
    tag.name = name
    save(tag, ["name"])
    synonym_id = None
    if not same_key:
        (synonym,) = tags_find_or_create(tag_type=TagType(tag.type), names=[old])
        synonym.merger = tag
        save(synonym, ["merger"])
        synonym_id = synonym.pk
    log(
        actor=actor,
        tag=tag,
        action="rename",
        before={"name": old},
        after={"name": name, "synonym": synonym_id},
    )
    refilter_tags(tag_ids=[tag.pk], reason=f"renamed “{old}” to “{name}”")
    return tag
