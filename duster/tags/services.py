import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from duster.tags.models import (
    FIXED_TYPES,
    Tag,
    TagType,
    tag_key,
    tag_name_normalize,
    tag_name_validate,
)
from duster.tags.models import MAX_TAG_LENGTH as MAX_TAG_LENGTH  # the forms' limit


def split_tag_names(text: str) -> list[str]:
    """'a, b ,, A' -> ['a', 'b']: trimmed, inner white space folded, first
    spelling wins among names that are one tag (case and accents aside)."""
    names: dict[str, str] = {}
    for raw in text.split(","):
        name = tag_name_normalize(raw)
        if name:
            names.setdefault(tag_key(name), name)
    return list(names.values())


_QUOTED = re.compile(r"[\"“”„«»]([^\"“”„«»]*)[\"“”„«»]")


def tag_names_parse(text: str) -> list[str]:
    """split_tag_names for what a writer typed, refusing a quoted name with a
    comma in it: commas separate tags and cannot be part of one."""
    for quoted in _QUOTED.findall(text):
        if "," in quoted:
            raise ValidationError(
                f"Commas separate tags and can't be part of a tag name: “{quoted[:60]}” would "
                "become two tags. Leave the comma out (quotes are not needed)."
            )
    return split_tag_names(text)


def tags_validate(names: list[str]) -> None:
    """Each name a usable tag name: not empty, not too long, no comma or NUL."""
    for name in names:
        tag_name_validate(name)


def _unique_slug(name: str) -> str:
    base = slugify(name, allow_unicode=True)[:180] or "tag"
    slug, n = base, 1
    while Tag.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def tags_find_or_create(*, tag_type: TagType, names: list[str]) -> list[Tag]:
    """The tags of one type for `names`, creating the ones nobody used yet.
    Names that differ only in case, accents or spacing are one tag. Fixed
    types (ratings, warnings, categories) can't be extended."""
    if tag_type in FIXED_TYPES:
        raise ValueError(f"{tag_type} tags are a fixed set: use duster.tags.fixed.")
    if not names:
        return []
    folded: dict[str, str] = {}
    for name in names:
        folded.setdefault(tag_key(name), tag_name_normalize(name))  # the first spelling wins
    existing = {tag.key: tag for tag in Tag.objects.filter(type=tag_type, key__in=list(folded))}
    tags = []
    for key, name in folded.items():
        tag = existing.get(key)
        if tag is None:
            tag = tag_create(tag_type=tag_type, name=name)
        tags.append(tag)
    return tags


def tag_create(*, tag_type: TagType, name: str, fixed: bool = False) -> Tag:
    """A new tag with a free slug; the existing one if someone created it
    meanwhile. `fixed`: one of the archive's fixed tags (canonical)."""
    for _attempt in range(3):
        slug = _unique_slug(name)
        try:
            with transaction.atomic():
                return Tag.objects.create(
                    name=name, type=tag_type, slug=slug, canonical=fixed, fixed=fixed
                )
        except IntegrityError:
            # Someone else created this tag a moment ago, or took the slug
            # (then try the next free one).
            tag = Tag.objects.filter(type=tag_type, key=tag_key(name)).first()
            if tag is not None:
                return tag
    raise IntegrityError(f"Could not create the tag {name!r}.")
