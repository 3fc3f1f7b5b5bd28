"""Whole pages for guests, kept in the one Django cache and never stale.

A guest's reading page (a work, a chapter, a list of works…) is the same for
every guest who sends the same address and the same display choices, so it
is rendered once and then served from the cache: no session load, no query,
no template. What keeps it right:

- The key holds everything a guest's page depends on: the scheme, host, path
  and (sorted) query; the reader-settings cookie in its normalised form; the
  adult-content choice of a guest who answered the notice (kept in their
  session); the language.
- Each stored page names its *dependencies*, version keys in the same cache:
  every page depends on "all"; a work's own pages (work, chapter, entire work,
  navigate) on "work:<id>"; every other page (lists, tags, creators, series,
  home) on "lists", which any change to any work bumps. A hit checks the
  stored versions against the current ones with one `get_many`; a change
  anywhere a page looks (see duster.works.signals) sets new versions, so the
  next request renders afresh. Versions are read *before* the view runs and
  bumped again when the change commits, so a page rendered from data that
  changed meanwhile is never taken as current.
- Only a guest's plain 200 answer is kept: nothing that set a cookie (a CSRF
  token, a session, messages), showed messages, or asked not to be cached.
  Members are never served from it and get `Cache-Control: private`.

Hit counts are the one figure a cached page may show late: a new visitor's
hit is still counted at once (duster.works.services.hits), but the number on
the page follows when the entry is next re-rendered, at most
PAGE_CACHE_SECONDS later.

HTTP caches: guest pages carry an ETag, `Vary: Cookie` and
`Cache-Control: public, max-age=0, must-revalidate` (plus `s-maxage` when
PAGE_CACHE_SHARED_SECONDS is set), and `If-None-Match` gets a 304. See the
README's "Putting a cache in front" for nginx and CDNs.
"""

import functools
import hashlib
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from importlib import import_module
from typing import Any
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import caches
from django.core.exceptions import DisallowedHost
from django.db import DEFAULT_DB_ALIAS, transaction
from django.http import HttpResponse, HttpResponseNotModified
from django.urls import Resolver404, get_urlconf, resolve
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import get_language

from duster.lib.reader import COOKIE_NAME as READER_COOKIE
from duster.lib.reader import normalise_cookie

PREFIX = "pagecache:"
ALL = "all"
LISTS = "lists"

# The pages kept for guests, by URL name: a work's own pages depend on that
# work alone; every other one on "lists". Pages that count a hit say so.
WORK_PAGES = {"work_detail", "chapter_detail", "work_navigate"}
HIT_PAGES = {"work_detail", "chapter_detail"}
LIST_PAGES = {
    "home",
    "works_latest",
    "series_detail",
    "user_detail",
    "user_works",
    "user_series",
    "tag_detail",
    "tag_works",
    "fandom_index",
    "work_search",
    "work_search_feed",
    "tag_feed",
    "user_feed",
    "series_feed",
    "opds_root",
    "opds_opensearch",
    "opds_search",
    "opds_recent",
    "opds_fandoms",
    "opds_tags",
    "opds_tag",
    "opds_series_list",
    "opds_series",
    "opds_creators",
    "opds_creator",
}
# Response headers a stored page keeps; the rest are per request (CSP, added
# by the middleware above this one with a fresh nonce) or recomputed.
KEPT_HEADERS = {
    "content-type",
    "content-language",
    "x-frame-options",
    "referrer-policy",
    "x-content-type-options",
    "cross-origin-opener-policy",
    "link",
}
GUEST_CACHE_CONTROL = {"public": True, "max_age": 0, "must_revalidate": True}


def work_dependency(work_id: int) -> str:
    return f"work:{work_id}"


def _cache():
    return caches[settings.PAGE_CACHE_ALIAS]


def _version_key(dependency: str) -> str:
    return f"{PREFIX}v:{dependency}"


# --- Versions: reading them, and bumping them when something changes -----------------------


def _new_version() -> str:
    return secrets.token_hex(8)


def dependency_versions(dependencies: Iterable[str]) -> dict[str, str]:
    """The current version of each dependency, giving one to those without."""
    cache = _cache()
    keys = {_version_key(d): d for d in dependencies}
    found = cache.get_many(list(keys))
    missing = [key for key in keys if key not in found]
    for key in missing:
        cache.add(key, _new_version(), None)
    if missing:
        found.update(cache.get_many(missing))
    return {keys[key]: value for key, value in found.items()}


# What is kept is never stale; this only bounds how long an unused value stays.
KEPT_SECONDS = 3600


# What kept_while_unchanged(in_process=True) also holds in this process, most
# recently used last: (versions, value) by key.
_held: OrderedDict[str, tuple[dict[str, str], Any]] = OrderedDict()
_held_lock = threading.Lock()
HELD_MAX = 512


def kept_while_unchanged(
    key: str,
    dependencies: Iterable[str],
    compute: Callable[[], Any],
    timeout: int = KEPT_SECONDS,
    *,
    in_process: bool = False,
) -> Any:
    """compute(), kept in the cache until any of `dependencies` changes (the
    versions cached pages are checked against), so what is kept is never
    stale. The versions are read first: a value made from rows that
    changed meanwhile is filed under the old versions and never read.

    `in_process`: the value is also held in this process and, while the
    versions in the cache still match, used as it is, without reading and
    unpickling it again (a work's reading is fifty model objects). Every
    request of the process then shares that one object: its callers must
    not change it."""
    dependencies = tuple(dependencies)
    full_key = f"{PREFIX}kept:{key}"
    if in_process:
        held = _held.get(full_key)
        if held is not None and held[0] == stored_current(None, dependencies)[1]:
            return held[1]
    entry = _stored(full_key, dependencies)
    if entry is not None:
        versions, value = entry["versions"], entry["value"]
    else:
        versions = dependency_versions(dependencies)
        value = compute()
        _cache().set(full_key, {"versions": versions, "value": value}, timeout)
    if in_process:
        with _held_lock:
            _held[full_key] = (versions, value)
            _held.move_to_end(full_key)
            while len(_held) > HELD_MAX:
                _held.popitem(last=False)
    return value


def kept_while_lists_unchanged(key: str, compute: Callable[[], Any]) -> Any:
    """compute(), kept until anything a list shows changes: every write to
    works, tags or accounts moves the "lists" version."""
    return kept_while_unchanged(key, (LISTS,), compute)


def work_page_dependencies(work_id: int) -> tuple[str, ...]:
    """What a work's own pages (work, chapter, entire work, navigate) depend
    on: anything shown on them changing bumps one of these."""
    return (ALL, work_dependency(work_id))


def _bump(dependencies: Iterable[str]) -> None:
    keys = [_version_key(d) for d in dependencies]
    if keys:
        _cache().set_many({key: _new_version() for key in keys}, None)


# Outside `bumps_on_commit()`, pages_changed bumps at once and again on commit.
_bump_at_once: ContextVar[bool] = ContextVar("pagecache_bump_at_once", default=True)


@contextmanager
def bumps_on_commit() -> Iterator[None]:
    """Inside, a change inside a transaction is bumped when it commits only (once per
    dependency), not also at once: for bulk writers such as an archive import, whose own
    code reads no page before committing. A reader still never gets a page older than the
    last commit."""
    token = _bump_at_once.set(False)
    try:
        yield
    finally:
        _bump_at_once.reset(token)


class _OnCommit:
    """The bumps one transaction owes when it commits, gathered into one
    callback: a service that writes twenty rows bumps each key once more."""

    def __init__(self) -> None:
        self.dependencies: set[str] = set()

    def __call__(self) -> None:
        _bump(self.dependencies)


def pages_changed(
    *,
    work_ids: Iterable[int] = (),
    lists: bool = True,
    everything: bool = False,
    using: str = DEFAULT_DB_ALIAS,
) -> None:
    """Something guests see changed: the pages of `work_ids`, every list of
    works (unless `lists` is False), or every page (`everything`).

    Bumped now, so this process and code that reads before committing see the
    change, and again once the transaction commits, so that a page another
    request rendered from the old rows in between is not kept as current."""
    dependencies = {work_dependency(pk) for pk in work_ids}
    if lists:
        dependencies.add(LISTS)
    if everything:
        dependencies.add(ALL)
    if not dependencies:
        return
    connection = transaction.get_connection(using)
    if _bump_at_once.get() or not connection.in_atomic_block:
        _bump(dependencies)
    if not connection.in_atomic_block:
        return
    pending = next(
        (func for _, func, _ in connection.run_on_commit if isinstance(func, _OnCommit)), None
    )
    if pending is None:
        pending = _OnCommit()
        transaction.on_commit(pending, using=using)
    pending.dependencies |= dependencies


# --- Who may get a cached page, and under which key -----------------------------------------


def _guest_variant(request) -> str | None:
    """What, besides the address, a guest's page depends on; None for a
    request that must not be served from the cache (a member, a POST, a
    guest with messages waiting)."""
    if request.method not in ("GET", "HEAD") or not settings.PAGE_CACHE_SECONDS:
        return None
    cookies = request.COOKIES
    if CookieStorage.cookie_name in cookies:
        return None
    adult = False
    session_key = cookies.get(settings.SESSION_COOKIE_NAME)
    if session_key:
        # Read straight from the session store (the cache, with cached_db):
        # a member's session sends them past the cache, a guest's only holds
        # the adult-content answer, which the page depends on.
        store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
        data = store.load()
        if "_auth_user_id" in data or "_messages" in data:
            return None
        adult = bool(data.get("view_adult"))
    reader = _reader_cookie(cookies.get(READER_COOKIE))
    return f"adult={int(adult)}|reader={reader}|lang={get_language()}"


def _reader_cookie(raw: str | None) -> str:
    """The reader settings in their canonical form: cookies that show the
    same page share one entry, and garbage cannot make new ones."""
    return normalise_cookie(raw) if raw else ""


def page_key(request, variant: str, kind: str = "p") -> str | None:
    """The key of the page a request asks for, in `variant` (what else it
    depends on); `kind` keeps other kinds of entry for the same page apart
    (duster.lib.memberpages keeps members' shells)."""
    try:
        host = request.get_host()
    except DisallowedHost:
        return None  # Django answers it with a 400 further in
    query = urlencode(sorted(parse_qsl(request.META.get("QUERY_STRING", ""), True)))
    raw = f"{request.scheme}://{host}{request.path}?{query}|{variant}"
    return f"{PREFIX}{kind}:" + hashlib.blake2b(raw.encode(), digest_size=20).hexdigest()


def _dependencies(request) -> tuple[tuple[str, ...], int | None] | None:
    """The dependencies of the page a request asks for, and the work whose
    hit a view of it counts; None for a page that is not kept."""
    path, urlconf = request.path_info, get_urlconf() or settings.ROOT_URLCONF
    # Remembered per path (resolving costs more than serving a cached page),
    # but no path longer than any page's.
    return _page_of(path, urlconf) if len(path) <= 200 else _page_of.__wrapped__(path, urlconf)


@functools.lru_cache(maxsize=8192)
def _page_of(path: str, urlconf: str) -> tuple[tuple[str, ...], int | None] | None:
    try:
        match = resolve(path, urlconf)
    except Resolver404:
        return None
    if match.url_name in WORK_PAGES and "pk" in match.kwargs:
        work_id = int(match.kwargs["pk"])
        hit = work_id if match.url_name in HIT_PAGES else None
        return work_page_dependencies(work_id), hit
    if match.url_name in LIST_PAGES:
        return (ALL, LISTS), None
    return None


def _storable(request, response) -> bool:
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        return False
    control = response.get("Cache-Control", "")
    if any(word in control for word in ("private", "no-store", "no-cache")):
        return False
    storage = getattr(request, "_messages", None)
    # Messages shown or waiting: the page is this visitor's alone.
    return storage is None or not (storage.used or storage._queued_messages)


# --- Serving ----------------------------------------------------------------------------------


def _etag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def _guest_headers(response) -> None:
    patch_cache_control(response, **GUEST_CACHE_CONTROL)
    if settings.PAGE_CACHE_SHARED_SECONDS:
        patch_cache_control(response, s_maxage=settings.PAGE_CACHE_SHARED_SECONDS)
    patch_vary_headers(response, ["Cookie"])


def _not_modified(request, etag: str) -> bool:
    asked = request.META.get("HTTP_IF_NONE_MATCH", "")
    if not asked:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in asked.split(",")}
    return "*" in tags or etag in tags


def _answer_not_modified(response_headers: dict[str, str]) -> HttpResponse:
    response = HttpResponseNotModified()
    for name, value in response_headers.items():
        if name.lower() in ("etag", "cache-control", "vary"):
            response[name] = value
    # The browser keeps the page it has, with the nonce of its own CSP header:
    # a 304 carrying a new policy would replace that header and block its scripts.
    response._csp_config = {}  # type: ignore[attr-defined]
    response._csp_ro_config = {}  # type: ignore[attr-defined]
    return response


def _record_hit(request, work_id: int) -> None:
    from duster.accounts.client import client_address
    from duster.works.services.hits import hit_visitor, work_record_hit

    visitor = hit_visitor(user=None, address=client_address(request) or "")
    work_record_hit(work_pk=work_id, visitor=visitor)


def _serve(request, entry: dict[str, Any]) -> HttpResponse:
    """A stored page as this request's answer: a fresh CSP nonce in place of
    the one it was rendered with, the body left out for HEAD."""
    if entry["hit"] is not None:
        _record_hit(request, entry["hit"])
    if _not_modified(request, entry["headers"]["ETag"]):
        return _answer_not_modified(entry["headers"])
    body: bytes = entry["body"]
    lazy_nonce = getattr(request, "_csp_nonce", None)
    if entry["nonce"] and lazy_nonce is not None:
        nonce = str(lazy_nonce)  # a new one, which the CSP middleware sends
        body = body.replace(entry["nonce"].encode(), nonce.encode())
    response = HttpResponse(b"" if request.method == "HEAD" else body)
    for name, value in entry["headers"].items():
        response[name] = value
    response["Content-Length"] = str(len(body))
    return response


def _store(request, response, key: str, versions: dict[str, str], hit: int | None) -> None:
    body = response.content
    nonce_used = getattr(request, "_csp_nonce", None)
    nonce = str(nonce_used) if nonce_used else ""
    stable = body.replace(nonce.encode(), b"") if nonce else body
    response["ETag"] = _etag(stable)
    _guest_headers(response)
    headers = {
        name: value
        for name, value in response.items()
        if name.lower() in KEPT_HEADERS or name.lower() in ("etag", "cache-control", "vary")
    }
    if request.method == "HEAD":
        return  # the body of a HEAD answer may be empty; the next GET stores it
    entry = {
        "versions": versions,
        "body": body,
        "nonce": nonce,
        "headers": headers,
        "hit": hit,
    }
    _cache().set(key, entry, settings.PAGE_CACHE_SECONDS)


def stored_current(
    key: str | None, dependencies: Iterable[str]
) -> tuple[dict[str, Any] | None, dict[str, str | None]]:
    """The entry stored under `key` (None: no key) if it is current, and the
    dependencies' current versions (None for one that has none yet): one
    `get_many` reads them all (one round trip to Redis)."""
    version_keys = {_version_key(d): d for d in dependencies}
    found = _cache().get_many([key, *version_keys] if key is not None else list(version_keys))
    current = {d: found.get(version_key) for version_key, d in version_keys.items()}
    entry = found.get(key) if key is not None else None
    return (entry if entry is not None and entry["versions"] == current else None), current


def _stored(key: str, dependencies: Iterable[str]) -> dict[str, Any] | None:
    """The page stored under `key` if it is current."""
    return stored_current(key, dependencies)[0]


class PageCacheMiddleware:
    """Place after the CSP and images middleware (which add the per-request
    policy) and before SessionMiddleware, so a cached page costs no session,
    user, CSRF or database work."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        variant = _guest_variant(request)
        key = page_key(request, variant) if variant is not None else None
        if key is None:
            return self._private(request, self.get_response(request))
        page = _dependencies(request)
        if page is None:
            return self._private(request, self.get_response(request))
        dependencies, hit = page
        entry = _stored(key, dependencies)
        if entry is not None:
            return _serve(request, entry)
        versions = dependency_versions(dependencies)  # before the view reads anything
        response = self.get_response(request)
        if not _storable(request, response):
            return self._private(request, response)
        _store(request, response, key, versions, hit)
        if _not_modified(request, response["ETag"]):
            return _answer_not_modified(dict(response.items()))
        return response

    @staticmethod
    def _private(request, response):
        """Members' pages: for their browser only, checked again each time."""
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response:
            patch_cache_control(response, private=True, no_cache=True)
            patch_vary_headers(response, ["Cookie"])
        return response
