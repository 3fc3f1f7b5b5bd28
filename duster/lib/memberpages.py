"""Members' reading pages from a shell kept for every member, never stale.

A member's work page is rendered for them (members never get the guests'
page cache), but almost all of it is the same for every member who is not
one of the work's creators: the work, its tags, its chapters' text, its
places in series, the reader settings. Only a few parts are theirs: the
site menu with their name and inbox, the community footer with their
kudos, bookmark, subscription, comment box and comments, and the CSRF
token of each form.

So the page is rendered once as a *shell*, for a stand-in member who has
no name, no pseud and nothing of their own, but the reader settings, time
zone and language of the member asking:

- each `{% member_part "template" %}` (duster.lib.templatetags.member_parts)
  is left out and marked, to be rendered per request with the page's context
  and the real request;
- the CSRF tokens and the CSP nonce are left as slots, filled per request.

The shell is kept under the page's address and query, those reader settings,
time zone and language, and the versions of its dependencies (the same
versions guest pages use, duster.lib.pagecache) read *before* the view reads
anything: whatever changes what it shows, a shell built from the old rows is
never served as current. Each request then costs the member's own parts.
"""

import copy
import re
import secrets
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template import engines
from django.template.context import make_context
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.functional import empty
from django.utils.translation import get_language

from duster.lib.pagecache import _cache, dependency_versions, page_key, stored_current
from duster.lib.reader import settings_for

# The context variable that tells {% member_part %} a shell is being built.
RECORDER = "_member_parts"
CSRF_INPUT = re.compile(r'(<input type="hidden" name="csrfmiddlewaretoken" value=")[^"]*(">)')

# A shell: literal text and slots, in order. A slot is ("part", template
# name), ("csrf",) or ("nonce",).
Piece = str | tuple[str, ...]


class PartsRecorder:
    """Collects the member parts a shell leaves out, each with its marker:
    a comment holding a random token no user text can guess."""

    def __init__(self) -> None:
        self.token = secrets.token_hex(12)
        self.names: list[str] = []

    def mark(self, name: str) -> str:
        self.names.append(name)
        return f"<!--{self.token}:part:{len(self.names) - 1}-->"


def _has_messages(request) -> bool:
    storage = getattr(request, "_messages", None)
    return storage is not None and bool(len(storage))


class MemberShell:
    """The shell of the page a member asked for, found or to be built: made
    before the view reads anything (see the module's docstring)."""

    def __init__(self, key: str, dependencies: tuple[str, ...]) -> None:
        self.key = key
        entry, current = stored_current(key, dependencies)
        self.pieces: list[Piece] | None = entry["pieces"] if entry is not None else None
        # Those a new shell is filed under (a dependency without one gets one).
        self.versions = (
            dependency_versions(dependencies) if None in current.values() else dict(current)
        )

    def render(
        self,
        request,
        template_name: str,
        context: dict[str, Any],
        parts: Callable[[], dict[str, Any]],
    ) -> HttpResponse:
        """The page: the shell (built now and kept, if it was not found) with
        the member's own parts rendered with `context` and `parts()`."""
        if self.pieces is None:
            self.pieces = _build(request, template_name, context)
            entry = {"versions": self.versions, "pieces": self.pieces}
            _cache().set(self.key, entry, settings.PAGE_CACHE_SECONDS)
        return HttpResponse(_fill(request, self.pieces, {**context, **parts()}))


def member_shell(request, dependencies: Iterable[str]) -> MemberShell | None:
    """The shell for a member's GET of a page that depends on `dependencies`;
    None when the page must be rendered whole: a guest (they have the page
    cache), the cache off, or messages waiting to be shown."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not settings.PAGE_CACHE_SECONDS:
        return None
    if request.method not in ("GET", "HEAD") or _has_messages(request):
        return None
    reader = settings_for(request).as_cookie()
    variant = f"reader={reader}|tz={timezone.get_current_timezone_name()}|lang={get_language()}"
    key = page_key(request, variant, kind="member")
    return MemberShell(key, tuple(dependencies)) if key is not None else None


def _stand_in(request):
    """The request as a member with nothing of their own would send it: no
    name, no pseud, no messages; the real member's reader settings."""
    stand_in = copy.copy(request)
    stand_in._reader_settings = settings_for(request)
    stand_in.user = get_user_model()(pk=0)
    stand_in.__dict__.pop("_messages", None)
    return stand_in


def _build(request, template_name: str, context: dict[str, Any]) -> list[Piece]:
    stand_in = _stand_in(request)
    recorder = PartsRecorder()
    rendered = render_to_string(template_name, {**context, RECORDER: recorder}, stand_in)
    html = CSRF_INPUT.sub(rf"\g<1>{recorder.token}:csrf\g<2>", str(rendered))
    slots = [rf"<!--{recorder.token}:part:(\d+)-->", rf"{recorder.token}:csrf"]
    nonce = getattr(request, "_csp_nonce", None)
    if nonce is not None and nonce._wrapped is not empty:  # the page used it
        slots.append(re.escape(str(nonce)))
    pieces: list[Piece] = []
    start = 0
    for match in re.finditer("|".join(f"(?:{slot})" for slot in slots), html):
        pieces.append(html[start : match.start()])
        text = match.group(0)
        if match.group(1) is not None:
            pieces.append(("part", recorder.names[int(match.group(1))]))
        elif text.endswith(":csrf"):
            pieces.append(("csrf",))
        else:
            pieces.append(("nonce",))
        start = match.end()
    pieces.append(html[start:])
    return pieces


def _fill(request, pieces: list[Piece], context: dict[str, Any]) -> str:
    """The page: the shell's text with the slots filled, the parts rendered
    in one context (the context processors run once for all of them)."""
    engine = engines["django"].engine  # type: ignore[attr-defined]
    parts = {
        p[1]: engine.get_template(p[1]) for p in pieces if isinstance(p, tuple) and p[0] == "part"
    }
    page = make_context(context, request, autoescape=engine.autoescape)
    out = []
    with page.bind_template(next(iter(parts.values()))) if parts else nullcontext():
        for piece in pieces:
            if isinstance(piece, str):
                out.append(piece)
            elif piece[0] == "part":
                out.append(parts[piece[1]].render(page))
            elif piece[0] == "csrf":
                # The one the parts' forms carry: masking a token costs.
                out.append(str(page.get("csrf_token") or get_token(request)))
            else:
                out.append(str(request._csp_nonce))
    return "".join(out)
