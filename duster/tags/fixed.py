"""The archive's fixed tags: ratings, archive warnings and categories. Their
values and labels are the works' choices (`duster.works.models.FIXED_CHOICES`);
each is one canonical tag nobody can rename, merge or extend."""

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from duster.tags.models import Tag, TagType, tag_key


def fixed_tags() -> dict[str, dict[str, Tag]]:
    """{tag type: {value: tag}} for every fixed type, in one query; a fixed
    tag missing from the database (an emptied test database) is created."""
    from duster.works.models import FIXED_CHOICES

    found = {(t.type, t.key): t for t in Tag.objects.filter(fixed=True)}
    fixed: dict[str, dict[str, Tag]] = {}
    for tag_type, choices in FIXED_CHOICES.items():
        for choice in choices:
            tag = found.get((tag_type, tag_key(choice.label)))
            if tag is None:
                tag = _fixed_create(TagType(tag_type), choice.label)
            fixed.setdefault(tag_type, {})[choice.value] = tag
    return fixed


def _fixed_create(tag_type: TagType, label: str) -> Tag:
    base = slugify(label) or tag_type.value
    for n in range(1, 50):
        slug = base if n == 1 else f"{base}-{n}"
        if Tag.objects.filter(slug=slug).exists():
            continue
        try:
            with transaction.atomic():
                return Tag.objects.create(
                    name=label, type=tag_type, slug=slug, canonical=True, fixed=True
                )
        except IntegrityError:
            existing = Tag.objects.filter(type=tag_type, key=tag_key(label)).first()
            if existing is not None:
                return existing
    raise IntegrityError(f"Could not create the fixed tag {label!r}.")
