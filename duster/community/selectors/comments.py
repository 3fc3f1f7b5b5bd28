"""Reading comments: the comments part of a work's reading pages, where a
comment lives (its page and anchor), and who may see it.

Which comments a page shows: the entire-work view (and a one-shot's page)
shows every comment of the work; a chapter's page shows that chapter's, and
the first chapter's page also those on the work as a whole (what the work's
own address lands on). Threads come newest first, THREADS_PER_PAGE to a page
(?comments_page=N), each whole, its replies oldest first; paging counts every
thread of the page whoever looks, so a comment's page is the same for all.

Who sees what: published comments, everyone; hidden ones, the work's
creators and the writer (marked "Hidden"); queued ones, the creators (in the
queue) and the writer ("awaiting approval"). Deleted comments, and comments a
reader cannot see or has muted the writer of, stay as a one-line placeholder
while replies the reader can see hang under them; without any, they are left
out. A muted writer's comments are not counted in the number shown either.

Queries: two for a guest (the page's thread roots, then their rows; one
when there are none), whatever the number of comments, and none while the
work's pages are unchanged (every comment written changes them, see
duster.community.signals: the rows are kept until then); a member adds their
mutes and their pseuds when the cache does not hold them already (and, with
muted writers, one count; a creator of a moderated work, one for the
queue's length)."""

import hashlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from django.db.models import Q
from django.http import Http404

from duster.accounts.models import Pseud
from duster.accounts.mutes import mutes_of
from duster.community.choices import CommentState
from duster.community.models import Comment
from duster.community.services.comments import creator_user_ids, mark_visible
from duster.lib.pagecache import (
    kept_while_lists_unchanged,
    kept_while_unchanged,
    work_page_dependencies,
)
from duster.lib.urls import fast_reverse, parse_id
from duster.works.models import CommentPolicy, Work
from duster.works.selectors import work_for_reader

THREADS_PER_PAGE = 50
PAGE_PARAM = "comments_page"

# The columns a comment on a page needs, with its writer's byline.
_SHOWN = (
    "id",
    "work_id",
    "chapter_id",
    "parent_id",
    "thread_id",
    "user_id",
    "pseud_id",
    "guest_name",
    "body",
    "state",
    "by_creator",
    "frozen",
    "created_at",
    "edited_at",
    "pseud__id",
    "pseud__name",
    "pseud__user_id",
    "pseud__user__id",
    "pseud__user__username",
)


@dataclass
class ShownComment:
    """A comment as one reader sees it. `placeholder` replaces its text and
    byline when the reader sees only its place in the thread."""

    comment: Comment
    replies: list["ShownComment"] = field(default_factory=list)
    placeholder: str = ""
    mark: str = ""  # "Hidden", "Awaiting approval"
    can_reply: bool = False
    can_edit: bool = False
    can_delete: bool = False
    can_moderate: bool = False
    anonymous: bool = False  # a creator of an anonymous work: no name shown


def _muted_placeholder() -> str:
    return "This comment is from a user you muted."


PLACEHOLDERS: dict[str, str] = {
    CommentState.DELETED: "This comment was deleted.",
    CommentState.HIDDEN: "This comment was hidden by the work's creator.",
    CommentState.QUEUED: "This comment is awaiting approval.",
}


def page_scope(work: Work, chapters, shown, full_work: bool) -> Q:
    """The comments a reading page shows (see the module's docstring)."""
    if full_work or len(chapters) <= 1:
        return Q(work_id=work.pk)
    chapter = shown[0]
    if chapters and chapter.pk == chapters[0].pk:
        return Q(work_id=work.pk) & (Q(chapter_id=chapter.pk) | Q(chapter__isnull=True))
    return Q(work_id=work.pk, chapter_id=chapter.pk)


def _page_number(request) -> int:
    number = parse_id(request.GET.get(PAGE_PARAM, ""))
    return number if number is not None and number < 1_000_000 else 1


def _sees(comment: Comment, *, viewer_id, creator: bool) -> bool:
    if comment.state == CommentState.PUBLISHED:
        return True
    if comment.state == CommentState.DELETED:
        return False
    return creator or (viewer_id is not None and comment.user_id == viewer_id)


def _muted(comment: Comment, muted: frozenset[int], anonymous: bool) -> bool:
    """Out of sight for a reader who muted its writer; but an anonymous
    work's creators stay unnamed, so their comments there are never taken
    out by a mute (that would tell who they are)."""
    if comment.user_id is None or comment.user_id not in muted:
        return False
    return comment.state != CommentState.DELETED and not (anonymous and comment.by_creator)


def _mutes(request):
    mutes = getattr(request, "_community_mutes", None)
    if mutes is None:
        mutes = request._community_mutes = mutes_of(request.user)
    return mutes


def comment_threads(
    rows: list[Comment],
    *,
    viewer,
    creator: bool,
    muted: frozenset[int],
    may_reply: bool,
    anonymous: bool = False,
) -> list[ShownComment]:
    """Trees of ShownComment from whole threads' rows (oldest first), as
    `viewer` sees them: what they may not see, or muted, stays only as a
    placeholder above replies they see, else goes."""
    viewer_id = viewer.pk if viewer is not None and viewer.is_authenticated else None
    nodes: dict[int, ShownComment] = {}
    roots: list[ShownComment] = []
    for comment in rows:
        node = ShownComment(comment)
        nodes[comment.pk] = node
        parent = nodes.get(comment.parent_id) if comment.parent_id else None
        if parent is not None:
            parent.replies.append(node)
        elif comment.parent_id is None:
            roots.append(node)
    visible = {}
    for comment in rows:
        seen = _sees(comment, viewer_id=viewer_id, creator=creator)
        if _muted(comment, muted, anonymous):
            seen = False
        visible[comment.pk] = seen

    def prune(node: ShownComment) -> bool:
        node.replies = [reply for reply in node.replies if prune(reply)]
        comment = node.comment
        if not visible[comment.pk]:
            if not node.replies:
                return False
            muted_writer = _muted(comment, muted, anonymous)
            node.placeholder = (
                _muted_placeholder() if muted_writer else PLACEHOLDERS.get(comment.state, "")
            ) or PLACEHOLDERS[CommentState.DELETED]
            return True
        own = viewer_id is not None and comment.user_id == viewer_id
        if comment.state == CommentState.HIDDEN:
            node.mark = "Hidden"
        elif comment.state == CommentState.QUEUED:
            node.mark = "Awaiting approval"
        node.can_reply = (
            may_reply and comment.state == CommentState.PUBLISHED and not comment.frozen
        )
        node.can_edit = own
        node.can_delete = own or creator
        node.can_moderate = creator
        # An anonymous work's creators comment as "Anonymous" there.
        node.anonymous = anonymous and comment.by_creator
        return True

    # Deep threads: prune recursively, but Python's limit is far above what a
    # page of replies nests to (each reply is a row on the page anyway).
    return [root for root in roots if prune(root)]


def _form_state(work: Work, member) -> str:
    """What the page offers under the comments: "form" (a member's inline
    box), "guest" (a link to the guest form), "login" or "closed"."""
    if work.comment_policy == CommentPolicy.NOBODY:
        return "closed"
    if member is not None:
        return "form"
    return "guest" if work.comment_policy == CommentPolicy.ANYONE else "login"


def _page_rows(scope: Q, number: int) -> tuple[list[int], bool, list[Comment]]:
    """Page `number` of the threads in `scope`, whoever looks: the roots' ids,
    whether a later page follows, and every row of those threads."""
    start = (number - 1) * THREADS_PER_PAGE
    roots = list(
        Comment.objects.filter(scope, parent__isnull=True)
        .order_by("-created_at", "-pk")
        .values_list("pk", flat=True)[start : start + THREADS_PER_PAGE + 1]
    )
    more = len(roots) > THREADS_PER_PAGE
    roots = roots[:THREADS_PER_PAGE]
    if not roots:
        return roots, more, []
    rows = list(
        Comment.objects.filter(thread_id__in=roots)
        .select_related("pseud__user")
        .only(*_SHOWN)
        .order_by("created_at", "pk")
    )
    return roots, more, rows


def comments_page_context(
    request, *, work, chapters, shown, full_work: bool, own=None
) -> dict[str, Any]:
    user = request.user
    member = user if user.is_authenticated else None
    creator = work.is_creator(user)
    mutes = _mutes(request) if member is not None else None
    muted = mutes.user_ids if mutes is not None else frozenset()
    form_state = _form_state(work, member)
    number = _page_number(request)
    scope = page_scope(work, chapters, shown, full_work)
    roots, more, rows = kept_while_unchanged(
        f"comments:{work.pk}:{number}:{hashlib.blake2b(str(scope).encode()).hexdigest()[:32]}",
        work_page_dependencies(work.pk),
        lambda: _page_rows(scope, number),
    )
    order = {pk: index for index, pk in enumerate(roots)}
    threads = comment_threads(
        rows,
        viewer=member,
        creator=creator,
        muted=muted,
        may_reply=form_state in ("form", "guest"),
        anonymous=work.anonymous,
    )
    threads.sort(key=lambda node: order.get(node.comment.pk, 0))
    count = work.comment_count
    if muted:
        hidden_by_mutes = Comment.objects.filter(
            work_id=work.pk, state=CommentState.PUBLISHED, user_id__in=muted
        )
        if work.anonymous:
            hidden_by_mutes = hidden_by_mutes.exclude(by_creator=True)
        count -= hidden_by_mutes.count()
    # The inline form comments on the chapter shown; the entire-work view of
    # a work in chapters, on the work as a whole.
    chapter = None if full_work and len(chapters) > 1 else shown[0]
    context: dict[str, Any] = {
        "comment_threads": threads,
        "comment_count_shown": max(count, 0),
        "comment_form_state": form_state,
        "comment_chapter": chapter,
        "comment_page": number,
        "comment_page_previous": _page_url(request, number - 1) if number > 1 else "",
        "comment_page_next": _page_url(request, number + 1) if more else "",
        "comment_login_url": _login_url(request),
    }
    if form_state == "form":
        context["comment_pseuds"] = _pseuds_of(member)
    if creator and work.moderated_comments:
        context["comment_queue_count"] = Comment.objects.filter(
            work_id=work.pk, state=CommentState.QUEUED
        ).count()
    return context


def _pseuds_of(member) -> list[Pseud]:
    """The pseuds a member may comment as, default first: kept until a pseud
    is written (any write to the accounts tables moves the lists' version)."""
    return kept_while_lists_unchanged(
        f"pseuds:{member.pk}",
        lambda: list(Pseud.objects.filter(user=member).order_by("-is_default", "name")),
    )


def _page_url(request, number: int) -> str:
    """This page's address on another page of threads (other choices kept)."""
    query = request.GET.copy()
    query.pop(PAGE_PARAM, None)
    if number > 1:
        query[PAGE_PARAM] = str(number)
    return f"{request.path}?{query.urlencode()}#comments" if query else f"{request.path}#comments"


def _login_url(request) -> str:
    """The login page, coming back to this page's comment box."""
    target = f"{request.get_full_path()}#add-comment"
    return f"{fast_reverse('login')}?next={quote(target, safe='/')}"


# --- Where a comment lives ------------------------------------------------------------------


def comment_place(comment: Comment, work: Work, *, just_posted: bool = False) -> str:
    """The address of the page that shows `comment`, with its anchor: its
    chapter's page (the work's for a one-shot, or a comment on the work as a
    whole), on the page of threads that holds its thread. A thread just
    begun is the newest, on the first page: no query finds that out."""
    on_chapter_page = comment.chapter_id is not None and work.chapter_count > 1
    if on_chapter_page:
        url = fast_reverse("chapter_detail", work.pk, comment.chapter_id)
    else:
        url = work.get_absolute_url()
    if just_posted and comment.parent_id is None:
        return f"{url}#comment-{comment.pk}"
    scope = Q(work_id=work.pk)
    if work.chapter_count > 1:
        # The page_scope of the page it is on; the work's own address shows
        # its first chapter (or the whole work, by a reader's choice).
        first = (
            work.chapters.filter(posted=True)
            .order_by("position")
            .values_list("pk", flat=True)
            .first()
        )
        chapter_id = comment.chapter_id if on_chapter_page else first
        on_it = Q(chapter_id=chapter_id)
        scope &= on_it | Q(chapter__isnull=True) if chapter_id == first else on_it
    thread_id = comment.thread_id or comment.pk
    root = Comment.objects.filter(pk=thread_id).values("created_at").first()
    if root is not None:
        newer = (
            Comment.objects.filter(scope, parent__isnull=True)
            .filter(
                Q(created_at__gt=root["created_at"])
                | Q(created_at=root["created_at"], pk__gt=thread_id)
            )
            .count()
        )
        page = newer // THREADS_PER_PAGE + 1
        if page > 1:
            url += f"?{PAGE_PARAM}={page}"
    return f"{url}#comment-{comment.pk}"


def comment_visible_to(comment: Comment, user, *, creator: bool) -> bool:
    """Whether `user` may be sent to `comment` (a placeholder counts: its
    place in the thread is public)."""
    if comment.state in (CommentState.PUBLISHED, CommentState.DELETED):
        return True
    return creator or (user.is_authenticated and comment.user_id == user.pk)


def comment_for_reader(pk: int, user) -> tuple[Comment, Work]:
    """The comment and its work (loaded for reading) if `user` may see the
    work; else 404. Whether they may see the comment itself is theirs to ask
    (comment_visible_to)."""
    comment = Comment.objects.select_related("chapter").filter(pk=pk).first()
    if comment is None:
        raise Http404("No such comment.")
    work = work_for_reader(comment.work_id, user)
    comment.work = work
    return comment, work


# What commenting and kudos read of a work (the form page shows its title).
_ACTION_FIELDS = (
    "id",
    "title",
    "state",
    "restricted",
    "comment_policy",
    "moderated_comments",
    "anonymous",
    "chapter_count",
)


def work_for_commenter(pk: int, user) -> Work:
    """The work if `user` may see it (the one visibility rule), with the
    columns a comment or kudos needs and its creators' accounts (ids, not
    model objects: the busiest write paths build nothing they do not read);
    else 404. The work is marked as checked for this user, so the services
    do not ask the same question again in this request."""
    work = Work.objects.visible_to(user).only(*_ACTION_FIELDS).filter(pk=pk).first()
    if work is None:
        raise Http404("No such work.")
    mark_visible(work, user, creator_ids=creator_user_ids(work))
    return work


def comment_queue(work: Work):
    """A moderated work's comments waiting for approval, oldest first."""
    return (
        Comment.objects.filter(work=work, state=CommentState.QUEUED)
        .select_related("pseud__user", "chapter")
        .order_by("created_at", "pk")
    )


def is_work_creator(work: Work, user) -> bool:
    return user.is_authenticated and user.pk in creator_user_ids(work)
