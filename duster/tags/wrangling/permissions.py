"""Who may wrangle which tags.

Admins grant the wrangler role (`Wrangler` rows, in the admin) for every
fandom or for one fandom; superusers may always wrangle; the command line
(`manage.py wrangle`, actor None) may too. A wrangler of one fandom may
wrangle that fandom, its synonyms and sub fandoms, and the tags in it (their
parent fandoms, or the fandoms of the works that use them)."""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied

from duster.tags.filtering import meta_ancestors
from duster.tags.models import Tag, TagType, Wrangler
from duster.tags.wrangling.selectors import tags_parent_fandoms


def wrangler_fandoms(user) -> set[int] | None:
    """The fandoms `user` may wrangle: None for every fandom, an empty set for none."""
    if user is None:
        return None
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    if user.is_superuser:
        return None
    roles = list(Wrangler.objects.filter(user=user).values_list("fandom_id", flat=True))
    if any(fandom_id is None for fandom_id in roles):
        return None
    return set(roles)


def is_wrangler(user) -> bool:
    return wrangler_fandoms(user) != set()


def tags_fandoms(tags: Iterable[Tag]) -> dict[int, set[int]]:
    """The fandoms each tag is in: a fandom itself with its meta fandoms (and
    its merger's), else its parent fandoms and the fandoms of the works using
    it, with their meta fandoms. A fixed number of queries."""
    tags = list(tags)
    found: dict[int, set[int]] = {t.pk: set() for t in tags}
    for tag in tags:
        if tag.type == TagType.FANDOM:
            found[tag.pk] |= {tag.pk} | ({tag.merger_id} if tag.merger_id else set())
    found.update(tags_parent_fandoms(t.pk for t in tags if t.type != TagType.FANDOM))
    ancestors = meta_ancestors(set().union(*found.values()))
    for fandoms in found.values():
        for fandom_id in list(fandoms):
            fandoms |= ancestors.get(fandom_id, set())
    return found


def wrangling_check(user, tags: Iterable[Tag]) -> None:
    """Raise PermissionDenied unless `user` may wrangle every one of `tags`."""
    tags = list(tags)
    allowed = wrangler_fandoms(user)
    if allowed is None:
        return
    if not allowed:
        raise PermissionDenied("Only tag wranglers can wrangle tags.")
    for tag_id, fandoms in tags_fandoms(tags).items():
        if not fandoms & allowed:
            name = next((t.name for t in tags if t.pk == tag_id), str(tag_id))
            raise PermissionDenied(f"You don't wrangle the fandom of “{name}”.")
