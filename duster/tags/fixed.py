"""The archive's fixed tags: ratings, archive warnings and categories. Their
values and labels are the works' choices (`duster.works.models.FIXED_CHOICES`);
each is one canonical tag nobody can rename, merge or extend."""

from duster.tags.models import Tag, TagType, tag_key
from duster.tags.services import tag_create


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
                tag = tag_create(tag_type=TagType(tag_type), name=choice.label, fixed=True)
            fixed.setdefault(tag_type, {})[choice.value] = tag
    return fixed
