"""What a reader chose not to see, and the searches they keep.

A muted tag takes away every work filed under it, its synonyms and its sub
tags (search reads filter tags, which hold canonical tags and their meta
tags); a muted user takes away their works and comments. Search and lists ask
`mutes_of(request.user)` once per request and leave the muted works out of
results, counts and facets alike, so nothing muted shows through a number.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import TooManyFieldsSent, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce, Lower
from django.http import Http404, QueryDict

from duster.accounts.models import Mute, SavedSearch, User
from duster.lib.pagecache import kept_while_lists_unchanged
from duster.search.params import WorkSearch
from duster.tags.models import Tag, tag_key
from duster.tags.selectors import canonical_of, tag_for_reader

# Of each kind: enough for any reader's dislikes, few enough that leaving them
# out stays one cheap exclusion in every search.
MUTES_MAX = 200
SAVED_SEARCHES_MAX = 50
# Longer than any query string WorkSearch.to_query() writes (its fields are capped).
SAVED_QUERY_MAX = 20_000


@dataclass(frozen=True)
class Mutes:
    """Ids of the canonical tags and of the users a reader muted."""

    tag_ids: frozenset[int] = frozenset()
    user_ids: frozenset[int] = frozenset()


NO_MUTES = Mutes()


def mutes_of(user) -> Mutes:
    """What `user` muted (none for guests). A muted tag that a wrangler has
    since made a synonym counts as its canonical tag, which is what works
    are filtered under. Kept in the cache until a mute or a tag is written
    (any write to the accounts or tags tables moves the lists' version), so
    most pages read it without a query."""
    if user is None or not user.is_authenticated:
        return NO_MUTES
    return kept_while_lists_unchanged(f"mutes:{user.pk}", lambda: _mutes_read(user))


def _mutes_read(user) -> Mutes:
    rows = Mute.objects.filter(user=user).values_list(
        Coalesce("tag__merger_id", "tag_id"), "muted_user_id"
    )
    tag_ids: set[int] = set()
    user_ids: set[int] = set()
    for tag_id, muted_user_id in rows:
        if tag_id is not None:
            tag_ids.add(tag_id)
        else:
            user_ids.add(muted_user_id)
    return Mutes(tag_ids=frozenset(tag_ids), user_ids=frozenset(user_ids))


def muted_tags(user: User) -> list[Tag]:
    """The tags `user` muted, as readers find them (canonical), by name."""
    mutes = Mute.objects.filter(user=user, tag__isnull=False).select_related("tag__merger")
    tags = {tag.pk: tag for tag in (canonical_of(mute.tag) for mute in mutes if mute.tag)}
    return sorted(tags.values(), key=lambda tag: (tag.key, tag.pk))


def muted_users(user: User) -> list[User]:
    """The users `user` muted, by username."""
    return list(
        User.objects.filter(muted_by__user=user).only("id", "username").order_by(Lower("username"))
    )


def _known(tag: Tag, viewer: User) -> bool:
    """Whether `viewer` may know of `tag`: canonical tags and their synonyms
    are public (a canonical tag's page lists its synonyms); another tag only
    if it is on a work `viewer` may see (tag_for_reader)."""
    if tag.canonical or tag.merger_id is not None:
        return True
    try:
        tag_for_reader(tag.slug, viewer)
    except Http404:
        return False
    return True


def tags_named(names: Iterable[str], *, viewer: User) -> tuple[list[Tag], list[str]]:
    """The tags called `names` (case, accents and spacing aside) that `viewer`
    may know of, and the names that found none. A name that is a tag of
    several types (a fandom and a character) finds each."""
    wanted = {tag_key(name): name for name in names}
    tags = Tag.objects.filter(key__in=list(wanted)).select_related("merger").order_by("pk")
    found = [tag for tag in tags if _known(tag, viewer)]
    known = {tag.key for tag in found}
    return found, [name for key, name in wanted.items() if key not in known]


def tag_to_toggle(slug: str, *, viewer: User) -> Tag | None:
    """The tag of that slug if `viewer` may know of it or has muted it (so a
    tag that went out of sight can still be unmuted); else None."""
    tag = Tag.objects.select_related("merger").filter(slug=slug).first()
    if tag is None:
        return None
    if _known(tag, viewer) or Mute.objects.filter(user=viewer, tag=tag).exists():
        return tag
    return None


def users_named(usernames: Iterable[str]) -> tuple[list[User], list[str]]:
    """The active accounts with these usernames (case aside), and the names
    that found none."""
    wanted = {name.lower(): name for name in usernames}
    users = list(
        User.objects.filter(is_active=True)
        .annotate(lowered=Lower("username"))
        .filter(lowered__in=list(wanted))
        .order_by("pk")
    )
    known = {user.username.lower() for user in users}
    return users, [name for lowered, name in wanted.items() if lowered not in known]


def _locked(user: User) -> User:
    # Two requests of one reader must not both pass the "how many" check.
    return User.objects.select_for_update().get(pk=user.pk)


def _mute_save(mute: Mute) -> Mute:
    mute.full_clean()
    mute.save()
    return mute


@transaction.atomic
def mute_tag(*, user: User, tag: Tag) -> Tag:
    """Mute `tag` for `user` in its canonical form (muting a synonym mutes
    what readers find under it) and return that form; muting it again changes
    nothing."""
    target = canonical_of(tag)
    _locked(user)
    mutes = Mute.objects.filter(user=user)
    if mutes.filter(Q(tag=target) | Q(tag__merger=target)).exists():
        return target
    if mutes.filter(tag__isnull=False).count() >= MUTES_MAX:
        raise ValidationError(
            f"You can mute at most {MUTES_MAX} tags: unmute some before adding more.",
            code="too_many",
        )
    _mute_save(Mute(user=user, tag=target))
    return target


@transaction.atomic
def unmute_tag(*, user: User, tag: Tag) -> Tag:
    """Show `tag` to `user` again: the tag, its canonical form (which is
    returned), and a muted tag since made a synonym of that."""
    target = canonical_of(tag)
    Mute.objects.filter(user=user).filter(
        Q(tag=tag) | Q(tag=target) | Q(tag__merger=target)
    ).delete()
    return target


@transaction.atomic
def mute_user(*, user: User, other: User) -> User:
    """Hide `other`'s works and comments from `user` and return `other`;
    muting them again changes nothing."""
    if other.pk == user.pk:
        raise ValidationError("You can't mute yourself.", code="self")
    _locked(user)
    mutes = Mute.objects.filter(user=user)
    if mutes.filter(muted_user=other).exists():
        return other
    if mutes.filter(muted_user__isnull=False).count() >= MUTES_MAX:
        raise ValidationError(
            f"You can mute at most {MUTES_MAX} users: unmute some before adding more.",
            code="too_many",
        )
    _mute_save(Mute(user=user, muted_user=other))
    return other


@transaction.atomic
def unmute_user(*, user: User, other: User) -> None:
    Mute.objects.filter(user=user, muted_user=other).delete()


# --- Saved searches --------------------------------------------------------------------------


def saved_searches_of(user: User) -> QuerySet[SavedSearch]:
    return SavedSearch.objects.filter(user=user).order_by(Lower("name"), "pk")


def search_query_normalize(query: str) -> str:
    """A /works/search query string as the search page reads it, in its one
    spelling (WorkSearch.to_query()): what cannot be used is left out, and the
    same search is always the same string."""
    if len(query) > SAVED_QUERY_MAX:
        raise ValidationError({"query": "This search is too long to save."}, code="max_length")
    try:
        return WorkSearch.from_query(QueryDict(query)).to_query()
    except TooManyFieldsSent:
        raise ValidationError(
            {"query": "This search is too long to save."}, code="max_length"
        ) from None


@transaction.atomic
def saved_search_add(*, user: User, name: str, query: str) -> SavedSearch:
    """Keep a search under a name, its query normalised (search_query_normalize)."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": "Give the search a name."}, code="required")
    query = search_query_normalize(query)
    if not query:
        raise ValidationError(
            {"query": "There is nothing to save: this search has no words or filters."},
            code="empty",
        )
    _locked(user)
    if SavedSearch.objects.filter(user=user).count() >= SAVED_SEARCHES_MAX:
        raise ValidationError(
            f"You can keep at most {SAVED_SEARCHES_MAX} saved searches: delete one first.",
            code="too_many",
        )
    search = SavedSearch(user=user, name=name, query=query)
    search.full_clean()
    search.save()
    return search


@transaction.atomic
def saved_search_delete(*, user: User, pk: int) -> SavedSearch:
    """Delete one of `user`'s saved searches and return it (for its name)."""
    search = SavedSearch.objects.filter(user=user, pk=pk).first()
    if search is None:
        raise ValidationError("That saved search doesn't exist (any more).", code="missing")
    search.delete()
    return search
