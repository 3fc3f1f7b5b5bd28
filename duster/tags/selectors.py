"""Reads of tags and of the works found under them, through the filter tags
(`duster.tags.filtering`) and the one visibility rule."""

import unicodedata
from dataclasses import dataclass, field
from typing import cast

from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.http import Http404

from duster.lib.pagecache import kept_while_lists_unchanged
from duster.tags.models import FilterTagging, Media, Tag, TagType, tag_key
from duster.works.models import Work, WorkQuerySet, WorkTag

# What a tag's page lists of the tags around it.
_NEIGHBOURS = Tag.objects.only("id", "name", "slug", "type", "canonical", "merger_id")


def canonical_of(tag: Tag) -> Tag:
    """The tag readers find works under: a synonym's canonical tag, else the tag."""
    return tag.merger if tag.merger_id is not None and tag.merger else tag


def works_tagged(tag: Tag, user, works: WorkQuerySet | None = None) -> WorkQuerySet:
    """`works` (by default all those `user` may see) whose filter tags include
    the tag, or its canonical tag for a synonym: so a meta tag finds the works
    of all its sub tags and their synonyms. Every "works with this tag" read
    goes through here."""
    if works is None:
        works = cast(WorkQuerySet, Work.objects.visible_to(user))
    target = canonical_of(tag)
    tagged = works.filter(pk__in=FilterTagging.objects.filter(tag=target).values("work_id"))
    return cast(WorkQuerySet, tagged)


def _on_visible_work(user, model) -> Exists:
    visible = Work.objects.visible_to(user).filter(pk=OuterRef("work_id"))
    return Exists(model.objects.filter(Exists(visible), tag_id=OuterRef(OuterRef("pk"))))


def tag_for_reader(slug: str, user) -> Tag:
    """The tag if readers may know it: canonical (wranglers made it public) or
    on a work `user` may see, directly or as a filter tag; else 404, so a tag
    used only on drafts, hidden or restricted works is never named to those
    who cannot see them. One query, with its canonical tag."""
    visible = Q(canonical=True) | Q(_on_visible_work(user, FilterTagging))
    visible |= Q(_on_visible_work(user, WorkTag))
    tag = Tag.objects.select_related("merger").filter(visible, slug=slug).first()
    if tag is None:
        raise Http404("No such tag.")
    return tag


def tag_on_works(slug: str, tag_type: TagType, works) -> Tag | None:
    """The tag of that slug and type if it is a filter tag of one of `works`,
    else None: a filter echoes only a tag the reader can see on a work shown
    to them. A synonym stands for its canonical tag."""
    tag = Tag.objects.select_related("merger").filter(slug=slug, type=tag_type).first()
    if tag is None or not works_tagged(tag, None, works).exists():
        return None
    return tag


def tag_with_neighbours(tag: Tag) -> Tag:
    """The tag with what its page lists: synonyms, meta and sub tags, parent
    fandoms, characters (of a relationship): one query for each."""
    return (
        Tag.objects.select_related("merger")
        .prefetch_related(
            Prefetch("synonyms", queryset=_NEIGHBOURS.order_by("name")),
            Prefetch("meta_tags", queryset=_NEIGHBOURS.order_by("name")),
            Prefetch("sub_tags", queryset=_NEIGHBOURS.order_by("name")),
            Prefetch("fandoms", queryset=_NEIGHBOURS.order_by("name")),
            Prefetch("characters", queryset=_NEIGHBOURS.order_by("name")),
        )
        .get(pk=tag.pk)
    )


# The fandom index


@dataclass
class FandomLetter:
    letter: str
    fandoms: list[Tag] = field(default_factory=list)


@dataclass
class MediaGroup:
    media: str
    label: str
    letters: list[FandomLetter] = field(default_factory=list)

    @property
    def fandom_total(self) -> int:
        return sum(len(group.fandoms) for group in self.letters)


def _initial(name: str) -> str:
    first = unicodedata.normalize("NFKD", name[:1]).casefold()[:1].upper()
    return first if first.isalpha() else "#"


def _fandoms_counted(user) -> list[tuple[int, str, str, str, int]]:
    """(id, name, slug, media, works) for each fandom that is a filter tag of
    a posted work `user` may see: one query."""
    posted = Work.objects.visible_to(user).posted()
    rows = (
        FilterTagging.objects.filter(tag__type=TagType.FANDOM, work_id__in=posted.values("pk"))
        .values("tag_id", "tag__name", "tag__slug", "tag__media")
        .annotate(works=Count("work_id"))
        .order_by()
    )
    return [
        (r["tag_id"], r["tag__name"], r["tag__slug"], r["tag__media"], r["works"]) for r in rows
    ]


def fandom_index(user) -> list[MediaGroup]:
    """Fandoms by media type (in the order of `Media`, fandoms without one
    last), A–Z within each, each with `.work_total`, the posted works `user`
    may see under it. Counting reads every posted work's fandoms, so the
    counts are kept until a list changes: one set for guests, one for members."""
    audience = "members" if user.is_authenticated else "guests"
    rows = kept_while_lists_unchanged(f"fandom-index:{audience}", lambda: _fandoms_counted(user))
    labels = {"": "Other fandoms", **dict(Media.choices)}
    groups = {media: MediaGroup(media=media, label=label) for media, label in labels.items()}
    by_media: dict[str, list[Tag]] = {}
    for pk, name, slug, media, works in rows:
        tag = Tag(pk=pk, name=name, slug=slug, media=media, type=TagType.FANDOM)
        tag.work_total = works  # type: ignore[attr-defined]
        by_media.setdefault(media if media in groups else "", []).append(tag)
    ordered = [*Media.values, ""]
    result = []
    for media in ordered:
        fandoms = sorted(by_media.get(media, []), key=lambda t: (_initial(t.name), tag_key(t.name)))
        if not fandoms:
            continue
        group = groups[media]
        for tag in fandoms:
            letter = _initial(tag.name)
            if not group.letters or group.letters[-1].letter != letter:
                group.letters.append(FandomLetter(letter))
            group.letters[-1].fandoms.append(tag)
        result.append(group)
    return result
