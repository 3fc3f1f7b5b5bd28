"""Accepting and rejecting the queue's suggestions."""

from collections.abc import Sequence

from django.db import transaction

from duster.tags.models import Tag
from duster.tags.wrangling.services.common import log, prepare
from duster.tags.wrangling.services.graph import tag_merge
from duster.tags.wrangling.suggestions import REJECT_ACTION, suggestions_for


@transaction.atomic
def tag_suggestion_accept(*, actor, tags: Sequence[Tag], canonical: Tag) -> list[Tag]:
    """Make `tags` synonyms of the suggested canonical tag."""
    return tag_merge(actor=actor, tags=tags, into=canonical)


@transaction.atomic
def tag_suggestions_accept(*, actor, tags: Sequence[Tag]) -> dict[Tag, Tag]:
    """Accept the current suggestion of each tag that has one, all or none:
    {tag: the canonical tag it became a synonym of}."""
    suggested = suggestions_for(list(tags))
    by_target: dict[int, list[Tag]] = {}
    targets: dict[int, Tag] = {}
    for tag in tags:
        suggestion = suggested.get(tag.pk)
        if suggestion is not None:
            by_target.setdefault(suggestion.canonical.id, []).append(tag)
    if by_target:
        targets = Tag.objects.in_bulk(list(by_target))
    accepted: dict[Tag, Tag] = {}
    for target_id, group in sorted(by_target.items()):
        for tag in tag_merge(actor=actor, tags=group, into=targets[target_id]):
            accepted[tag] = targets[target_id]
    return accepted


@transaction.atomic
def tag_suggestion_reject(*, actor, tags: Sequence[Tag], canonical: Tag) -> None:
    """Record that `canonical` is not what `tags` mean: not suggested again."""
    tags, (canonical,) = prepare(actor, tags, canonical)
    for tag in tags:
        log(
            actor=actor,
            tag=tag,
            action=REJECT_ACTION,
            before={},
            after={"canonical": canonical.pk},
        )
