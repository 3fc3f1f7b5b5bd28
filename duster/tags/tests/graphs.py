"""Small helpers that reshape the tag graph the way wrangling does (change,
then refilter_tags), for the filter and page tests."""

from duster.tags.filtering import meta_cycle_check, refilter_tags
from duster.tags.models import MetaTagging, Tag, TagType


def tag(name: str, tag_type: str = TagType.RELATIONSHIP) -> Tag:
    return Tag.objects.get(name=name, type=tag_type)


def canonical(name: str, tag_type: str = TagType.RELATIONSHIP, **extra) -> Tag:
    """The tag of that name made canonical, created if nobody used it yet."""
    found = Tag.objects.filter(name=name, type=tag_type).first()
    if found is None:
        slug = f"{tag_type}-{name}".lower().replace(" ", "-").replace("/", "-")
        found = Tag(name=name, type=tag_type, slug=slug)
    found.canonical = True
    for field, value in extra.items():
        setattr(found, field, value)
    found.save()
    refilter_tags(tag_ids=[found.pk], reason="made canonical")
    return found


def merge(synonym: Tag, into: Tag) -> None:
    synonym.merger = into
    synonym.canonical = False
    synonym.full_clean()
    synonym.save()
    refilter_tags(tag_ids=[synonym.pk, into.pk], reason=f"merged {synonym} into {into}")


def unmerge(synonym: Tag) -> None:
    old = synonym.merger_id
    synonym.merger = None
    synonym.save()
    refilter_tags(tag_ids=[synonym.pk, *([old] if old else [])], reason=f"unmerged {synonym}")


def add_meta(sub: Tag, meta: Tag) -> None:
    meta_cycle_check(sub, meta)
    MetaTagging.objects.create(sub=sub, meta=meta)
    refilter_tags(tag_ids=[sub.pk, meta.pk], reason=f"{meta} over {sub}")


def remove_meta(sub: Tag, meta: Tag) -> None:
    MetaTagging.objects.filter(sub=sub, meta=meta).delete()
    refilter_tags(tag_ids=[sub.pk, meta.pk], reason=f"{meta} no longer over {sub}")
