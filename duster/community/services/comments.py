"""Writing comments: posting, editing, deleting, and what a work's creators
do to comments on their works (hide, freeze, approve).

The rules live here, whoever calls: the work must be posted and readable by
the writer, its comment policy must let them in, blocks are honoured, guests
pass the spam defences, moderated works queue what their creators did not
write. Every change keeps Work.comment_count equal to the PUBLISHED rows
(counts.work_count_add, in the same transaction) and makes the guests'
cached pages of the work change.

Transactions stay short (SQLite takes its write lock when one begins): what
can be checked by reading (visibility, policy, blocks, rate limits, the
text) is checked before it; inside it the parent of a reply is locked and
read again (so a reply never lands under a comment deleted or frozen
meanwhile), the row is written, the counter follows and the inbox is told.

Deleting: a comment without replies is removed entirely (with the inbox
entries about it); one with replies becomes a DELETED placeholder, its text
cleared, so its replies keep their place. A placeholder whose last reply goes
is removed in turn.

Freezing applies to a comment and everything under it: the flag is set on
each, so a reply only needs its parent's flag to know.
"""

import datetime as dt
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from duster.accounts.blocks import is_blocked
from duster.accounts.client import address_digest
from duster.accounts.models import Mute, User
from duster.accounts.throttle import wait_text
from duster.community.choices import CommentState, NotificationKind
from duster.community.models import Comment
from duster.community.services.counts import work_count_add
from duster.community.services.notifications import notify
from duster.lib.pagecache import pages_changed
from duster.lib.richtext import full_clean_public
from duster.works.models import CommentPolicy, Creatorship, Work, WorkState

PUBLISHED = CommentState.PUBLISHED
MESSAGE_LOGIN = "You must log in (or register) to comment."
MESSAGE_CLOSED = "Comments are turned off for this work."
MESSAGE_BLOCKED = "You can't comment on this work: one of its creators has blocked you."
MESSAGE_BLOCKED_REPLY = "You can't reply to this comment: its writer has blocked you."
MESSAGE_FROZEN = "This thread is frozen: it takes no new replies."
MESSAGE_HONEYPOT = (
    "Your comment was not posted: a field that people leave empty (it is hidden) was "
    "filled in, which spam programs do. If you are a person, please send it again."
)
# Links in a comment: what a spam comment is made of.
_LINK = re.compile(r"https?://|www\.|<a[\s>]", re.IGNORECASE)
# The FK checks full_clean would make (one query each) prove nothing here:
# the service was handed these objects.
_FK_FIELDS = ["work", "chapter", "parent", "thread", "user", "pseud"]


class CommentRateLimited(ValidationError):
    """Too many comments too fast: try again once `wait` has passed."""

    def __init__(self, wait: dt.timedelta):
        self.wait = wait
        super().__init__(
            "You are posting comments too quickly. "
            f"Please wait {wait_text(wait)} and send it again: your text is kept below.",
            code="rate_limited",
        )


def creator_user_ids(work: Work) -> set[int]:
    """The accounts of the work's accepted creators (those its loader noted,
    or prefetched credits when the work was loaded for reading, else one
    query)."""
    noted = getattr(work, "_creator_ids", None)
    if noted is not None:
        return noted
    if hasattr(work, "credits"):
        return {pseud.user_id for pseud in work.credited_pseuds()}
    return set(
        Creatorship.objects.filter(work_id=work.pk, approved=True).values_list(
            "pseud__user_id", flat=True
        )
    )


_NOBODY = object()


def mark_visible(work: Work, user, *, creator_ids: set[int]) -> None:
    """Note on a work just loaded through Work.objects.visible_to(user) that
    `user` may see it, and its creators' accounts: a service handed it in the
    same request need not ask the database again."""
    work._visible_for = user.pk if user is not None and user.is_authenticated else None  # type: ignore[attr-defined]
    work._creator_ids = creator_ids  # type: ignore[attr-defined]


def checked_visible(work: Work, user) -> bool:
    """Whether `work` was loaded by mark_visible's caller for this `user`."""
    pk = user.pk if user is not None and user.is_authenticated else None
    return getattr(work, "_visible_for", _NOBODY) == pk


def _member(user):
    return user if user is not None and user.is_authenticated else None


# --- Posting ---------------------------------------------------------------------------------


def _check_work(work: Work, user) -> Work:
    """The work as it is now, if `user` may read it and it is posted (the
    work itself when it was just loaded through the visibility rule for
    `user`, with the columns read here)."""
    if checked_visible(work, user) and work.state == WorkState.POSTED:
        return work
    current = (
        Work.objects.visible_to(user)
        .filter(pk=work.pk, state=WorkState.POSTED)
        .only("id", "comment_policy", "moderated_comments", "chapter_count")
        .first()
    )
    if current is None:
        raise ValidationError(
            "This work can't be commented on: it is not posted, or not yours to see."
        )
    return current


def _check_policy(policy: str, member) -> None:
    if policy == CommentPolicy.NOBODY:
        raise ValidationError(MESSAGE_CLOSED, code="closed")
    if member is None and policy != CommentPolicy.ANYONE:
        raise ValidationError(MESSAGE_LOGIN, code="login")


def _check_guest(guest_name: str, guest_email: str, body: str) -> None:
    errors: dict[str, list[str]] = {}
    if not guest_name:
        errors["guest_name"] = ["Give a name to sign your comment with."]
    if not guest_email:
        errors["guest_email"] = ["Give your email address (it is not shown to anyone)."]
    else:
        try:
            validate_email(guest_email)
        except ValidationError:
            errors["guest_email"] = ["This is not an email address."]
    links = len(_LINK.findall(body))
    if links > settings.COMMENT_LINKS_MAX:
        errors["body"] = [
            f"A guest comment may hold at most {settings.COMMENT_LINKS_MAX} links; "
            f"this one has {links}. Remove some, or log in to post it."
        ]
    if errors:
        raise ValidationError(errors)


def _check_rate(*, member, key: str, now: dt.datetime) -> None:
    """Refuse a member's comment past COMMENT_MEMBER_PER_MINUTE, a guest's
    past COMMENT_GUEST_PER_HOUR from one address. Counted from the rows
    (the comment_by_user and comment_by_address indexes): two comments sent
    at the very same moment may both pass, which a limit against floods can
    afford, and no lock is taken on the busiest path."""
    if member is not None:
        window, limit = dt.timedelta(minutes=1), settings.COMMENT_MEMBER_PER_MINUTE
        recent = Comment.objects.filter(user=member, created_at__gt=now - window)
    elif key:
        window, limit = dt.timedelta(hours=1), settings.COMMENT_GUEST_PER_HOUR
        recent = Comment.objects.filter(
            user__isnull=True, address_key=key, created_at__gt=now - window
        )
    else:
        return
    # Only the limit-th latest comment matters: one row, whatever the limit.
    oldest = recent.order_by("-created_at").values_list("created_at", flat=True)[limit - 1 : limit]
    if oldest:
        raise CommentRateLimited(oldest[0] + window - now)


def _check_blocks(member, creators: set[int], parent: Comment | None) -> None:
    if member is None:
        return
    if is_blocked(user=member, by=creators - {member.pk}):
        raise ValidationError(MESSAGE_BLOCKED, code="blocked")
    replied_to = parent.user_id if parent is not None else None
    if replied_to not in (None, member.pk) and is_blocked(user=member, by=[replied_to]):
        raise ValidationError(MESSAGE_BLOCKED_REPLY, code="blocked")


def comment_post(
    *,
    work: Work,
    chapter=None,
    parent: Comment | None = None,
    user=None,
    pseud=None,
    guest_name: str = "",
    guest_email: str = "",
    body: str,
    address: str = "",
    honeypot: str = "",
) -> Comment:
    """Post a comment on `work` (on `chapter`, or the work as a whole), or a
    reply to `parent`, by a member (`user`, as `pseud` or their default one)
    or a guest (`guest_name`, `guest_email`). Published at once, or QUEUED on
    a moderated work unless a creator wrote it. ValidationError (keyed by
    argument name where it concerns one) says why not."""
    member = _member(user)
    guest_name, guest_email = (guest_name or "").strip(), (guest_email or "").strip()
    body = body or ""
    if (honeypot or "").strip():
        raise ValidationError(MESSAGE_HONEYPOT, code="honeypot")
    current = _check_work(work, member)
    _check_policy(current.comment_policy, member)
    if parent is not None:
        if parent.work_id != work.pk:
            raise ValidationError("That comment is on another work.", code="parent")
        chapter = parent.chapter  # a reply sits where its thread is
    elif chapter is not None and (chapter.work_id != work.pk or not chapter.posted):
        raise ValidationError("That chapter is not part of this work.", code="chapter")
    if not body.strip():
        raise ValidationError({"body": "Write your comment before posting it."}, code="required")
    creators = creator_user_ids(work)
    _check_blocks(member, creators, parent)
    if member is None:
        _check_guest(guest_name, guest_email, body)
    elif pseud is None:
        pseud = member.default_pseud
    elif pseud.user_id != member.pk:
        raise ValidationError({"pseud": "Choose one of your own pseuds."}, code="pseud")
    now = timezone.now()
    key = address_digest(address)
    _check_rate(member=member, key=key, now=now)

    by_creator = member is not None and member.pk in creators
    comment = Comment(
        work=work,
        chapter=chapter,
        parent=parent,
        user=member,
        pseud=pseud if member is not None else None,
        guest_name="" if member is not None else guest_name,
        guest_email="" if member is not None else guest_email,
        by_creator=by_creator,
        address_key=key,
        created_at=now,
        state=CommentState.QUEUED
        if current.moderated_comments and not by_creator
        else CommentState.PUBLISHED,
    )
    comment.rich_text_set("body", body, "text")
    # The one model constraint (a guest signs with a name) is checked above
    # and by the database: its query is spared on the busiest write path.
    full_clean_public(comment, exclude=_FK_FIELDS, validate_constraints=False)

    with transaction.atomic():
        if parent is not None:
            locked = Comment.objects.select_for_update().filter(pk=parent.pk).first()
            if locked is None or locked.state == CommentState.DELETED:
                raise ValidationError("The comment you replied to was deleted.", code="parent")
            if locked.state != PUBLISHED:
                raise ValidationError("That comment takes no replies.", code="parent")
            if locked.frozen:
                raise ValidationError(MESSAGE_FROZEN, code="frozen")
            comment.thread_id = locked.thread_id or locked.pk
        comment.save()
        if comment.thread_id is None:
            comment.thread_id = comment.pk
            Comment.objects.filter(pk=comment.pk).update(thread=comment.pk)
        if comment.state == PUBLISHED:
            work_count_add(work_id=work.pk, counter="comment_count", delta=1)
            _notify_published(comment, creators, parent)
        else:
            notify(
                users=_users(creators - {getattr(member, "pk", None)}),
                kind=NotificationKind.QUEUED,
                work=work,
                chapter=chapter,
                comment=comment,
            )
    return comment


def _users(ids, *, muting: int | None = None) -> list[User]:
    """The active recipients with what delivery reads (their mail choice),
    leaving out those who muted the account `muting`."""
    ids = [pk for pk in ids if pk is not None]
    if not ids:
        return []
    users = User.objects.filter(pk__in=ids, is_active=True)
    if muting is not None:
        users = users.exclude(pk__in=Mute.objects.filter(muted_user_id=muting).values("user_id"))
    return list(users.only("id", "notification_email").order_by("pk"))


def _notify_published(comment: Comment, creators: set[int], parent: Comment | None) -> None:
    """COMMENT to the work's creators, REPLY to the parent's member writer;
    never to the writer themselves, nor to one who muted them (their
    comments are out of that reader's sight). One query finds them all."""
    writer = comment.user_id
    replied_to = parent.user_id if parent is not None else None
    if replied_to == writer:
        replied_to = None
    to_creators = creators - {writer, replied_to}
    recipients = to_creators | ({replied_to} if replied_to else set())
    users = _users(recipients, muting=writer)
    creator_users = [user for user in users if user.pk in to_creators]
    if creator_users:
        notify(
            users=creator_users,
            kind=NotificationKind.COMMENT,
            work=comment.work,
            chapter=comment.chapter,
            comment=comment,
        )
    replied_users = [user for user in users if user.pk == replied_to]
    if replied_users:
        notify(
            users=replied_users,
            kind=NotificationKind.REPLY,
            work=comment.work,
            chapter=comment.chapter,
            comment=comment,
        )


# --- The writer's own changes ----------------------------------------------------------------


def comment_edit(*, comment: Comment, user, body: str) -> Comment:
    """The writer changes their comment's text; it is shown as edited."""
    if _member(user) is None or comment.user_id != user.pk:
        raise ValidationError("Only its writer can edit a comment.", code="permission")
    if comment.state == CommentState.DELETED:
        raise ValidationError("This comment was deleted.", code="deleted")
    if not (body or "").strip():
        raise ValidationError({"body": "Write your comment before saving it."}, code="required")
    comment.rich_text_set("body", body, "text")
    comment.edited_at = timezone.now()
    full_clean_public(comment, exclude=_FK_FIELDS)
    with transaction.atomic():
        comment.save(update_fields=["body", "body_source", "text_format", "edited_at"])
        pages_changed(work_ids=[comment.work_id], lists=False)
    return comment


def _may_moderate(comment: Comment, user) -> bool:
    return _member(user) is not None and user.pk in creator_user_ids(Work(pk=comment.work_id))


def comment_delete(*, comment: Comment, user) -> bool:
    """Delete a comment (its writer, or a creator of the work). True when the
    row went entirely (it had no replies), False when a placeholder stays."""
    member = _member(user)
    if member is None or (comment.user_id != member.pk and not _may_moderate(comment, member)):
        raise ValidationError("You can't delete this comment.", code="permission")
    with transaction.atomic():
        locked = Comment.objects.select_for_update().filter(pk=comment.pk).first()
        if locked is None or locked.state == CommentState.DELETED:
            return locked is None  # deleted already, by someone else
        was_counted = locked.state == PUBLISHED
        removed = _remove_or_blank(locked)
        if was_counted:
            work_count_add(work_id=locked.work_id, counter="comment_count", delta=-1)
        else:
            pages_changed(work_ids=[locked.work_id], lists=False)
    comment.state = CommentState.DELETED
    return removed


def _remove_or_blank(comment: Comment) -> bool:
    if Comment.objects.filter(parent=comment).exists():
        comment.state = CommentState.DELETED
        comment.rich_text_set("body", "")
        comment.guest_email = ""
        comment.save(update_fields=["state", "body", "body_source", "guest_email"])
        return False
    parent_id = comment.parent_id
    comment.delete()
    # A placeholder kept only for this reply has nothing left to hold together.
    while parent_id is not None:
        parent = Comment.objects.filter(pk=parent_id, state=CommentState.DELETED).first()
        if parent is None or Comment.objects.filter(parent=parent).exists():
            break
        parent_id = parent.parent_id
        parent.delete()
    return True


# --- What a work's creators do -----------------------------------------------------------------


def _require_creator(comment: Comment, user, what: str) -> None:
    if not _may_moderate(comment, user):
        raise ValidationError(
            f"Only the work's creators can {what} its comments.", code="permission"
        )


def _move_state(comment: Comment, *, before: str, after: str) -> bool:
    """Move the comment from one state to another in one conditional UPDATE
    (two creators clicking at once change it, and the counter, once); the
    counter follows. False when it was not in `before` any more."""
    with transaction.atomic():
        moved = Comment.objects.filter(pk=comment.pk, state=before).update(state=after)
        if moved:
            delta = (after == PUBLISHED) - (before == PUBLISHED)
            if delta:
                work_count_add(work_id=comment.work_id, counter="comment_count", delta=delta)
            else:
                pages_changed(work_ids=[comment.work_id], lists=False)
    if moved:
        comment.state = after
    return bool(moved)


def _state_now(comment: Comment) -> str | None:
    return Comment.objects.filter(pk=comment.pk).values_list("state", flat=True).first()


def comment_hide(*, comment: Comment, user) -> Comment:
    """Hide a published comment from everyone but the creators and its writer."""
    _require_creator(comment, user, "hide")
    moved = _move_state(comment, before=PUBLISHED, after=CommentState.HIDDEN)
    if not moved and _state_now(comment) != CommentState.HIDDEN:
        raise ValidationError("Only a published comment can be hidden.", code="state")
    return comment


def comment_unhide(*, comment: Comment, user) -> Comment:
    _require_creator(comment, user, "unhide")
    moved = _move_state(comment, before=CommentState.HIDDEN, after=PUBLISHED)
    if not moved and _state_now(comment) != PUBLISHED:
        raise ValidationError("This comment is not hidden.", code="state")
    return comment


def comment_approve(*, comment: Comment, user) -> Comment:
    """Publish a queued comment; the creators and the replied-to writer are
    told now, as they would have been had it been published at once."""
    _require_creator(comment, user, "approve")
    with transaction.atomic():
        if _move_state(comment, before=CommentState.QUEUED, after=PUBLISHED):
            creators = creator_user_ids(Work(pk=comment.work_id))
            _notify_published(comment, creators, comment.parent)
        elif _state_now(comment) != PUBLISHED:
            raise ValidationError("This comment is not waiting for approval.", code="state")
    return comment


def _subtree_ids(comment: Comment) -> list[int]:
    """The comment and every reply under it (one query: its thread's rows)."""
    rows = Comment.objects.filter(thread_id=comment.thread_id or comment.pk).values_list(
        "pk", "parent_id"
    )
    children: dict[int, list[int]] = {}
    for pk, parent_id in rows:
        children.setdefault(parent_id, []).append(pk)
    found, stack = [], [comment.pk]
    while stack:
        pk = stack.pop()
        found.append(pk)
        stack.extend(children.get(pk, []))
    return found


def _set_frozen(comment: Comment, user, frozen: bool) -> Comment:
    _require_creator(comment, user, "freeze" if frozen else "unfreeze")
    with transaction.atomic():
        if not frozen and comment.parent_id is not None:
            parent = Comment.objects.filter(pk=comment.parent_id).values("frozen").first()
            if parent and parent["frozen"]:
                raise ValidationError(
                    "The thread is frozen further up: unfreeze it from there.", code="frozen"
                )
        Comment.objects.filter(pk__in=_subtree_ids(comment)).update(frozen=frozen)
        pages_changed(work_ids=[comment.work_id], lists=False)
    comment.frozen = frozen
    return comment


def comment_freeze(*, comment: Comment, user) -> Comment:
    """No more replies to this comment or under it."""
    return _set_frozen(comment, user, True)


def comment_unfreeze(*, comment: Comment, user) -> Comment:
    return _set_frozen(comment, user, False)
