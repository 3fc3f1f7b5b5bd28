import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from duster.tags.models import Tag, TagType, tag_key

MAX_TAG_LENGTH = 150


def split_tag_names(text: str) -> list[str]:
    """'a, b ,, A' -> ['a', 'b']: trimmed, inner white space folded, first spelling wins."""
    names: dict[str, str] = {}
    for raw in text.split(","):
        name = " ".join(raw.split())
        if name:
            names.setdefault(name.casefold(), name)
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
        if not isinstance(name, str) or not name.strip():
            raise ValidationError("A tag name can't be empty.")
        if "," in name:
            raise ValidationError(
                f"Commas separate tags and can't be part of a tag name (“{name[:60]}”)."
            )
        if "\x00" in name:
            raise ValidationError("A tag name can't contain a NUL character.")
        if len(name) > MAX_TAG_LENGTH:
            raise ValidationError(
                f"Tags can be at most {MAX_TAG_LENGTH} characters: “{name[:40]}…” is longer."
            )


def _unique_slug(name: str) -> str:
    base = slugify(name, allow_unicode=True)[:180] or "tag"
    slug, n = base, 1
    while Tag.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def tags_find_or_create(*, tag_type: TagType, names: list[str]) -> list[Tag]:
    """The tags of one type for `names`, creating the ones nobody used yet."""
    if not names:
        return []
    folded: dict[str, str] = {}
    for name in names:
        folded.setdefault(tag_key(name), name)  # the first spelling wins
    existing = {tag.key: tag for tag in Tag.objects.filter(type=tag_type, key__in=list(folded))}
    tags = []
    for key, name in folded.items():
        tag = existing.get(key)
        if tag is None:
            tag = _tag_create(tag_type=tag_type, name=name)
        tags.append(tag)
    return tags


def _tag_create(*, tag_type: TagType, name: str) -> Tag:
    for _attempt in range(3):
        slug = _unique_slug(name)
        try:
            with transaction.atomic():
                return Tag.objects.create(name=name, type=tag_type, slug=slug)
        except IntegrityError:
            # Someone else created this tag a moment ago, or took the slug
            # (then try the next free one).
            tag = Tag.objects.filter(type=tag_type, key=tag_key(name)).first()
            if tag is not None:
                return tag
    raise IntegrityError(f"Could not create the tag {name!r}.")
