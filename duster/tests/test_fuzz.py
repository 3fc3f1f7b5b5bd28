"""Bad input never answers 5xx.

Every URL pattern of the project is filled with malformed values and asked
with GET, HEAD and POST, as a guest, a member, the author and (for the admin)
staff, with malformed query strings, request bodies and form values, against a
small archive so that real pages are reached. CSRF is enforced as on a real
server (the test client skips it by default, which hides the 400 page's own
CSRF check reading a broken body again).

Run with `-s` to see the request counts.
"""

import functools
import logging
import re
import secrets
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote, unquote, urlencode

import django.test.client
import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.test.client import encode_multipart
from django.urls import Resolver404, URLResolver, get_resolver, resolve

from duster.testing.factories import make_series, make_user, make_work
from duster.works.models import Series, Work

# Values put into path parameters, as they would appear in the address.
PATH_VALUES = [
    "%C2%B2",  # "²": a digit to str.isdigit(), not to int()
    "%00",
    "a%00b",
    "9" * 30,
    "9223372036854775808",  # 2**63
    "9223372036854775807",
    "-1",
    "0",
    "1e3",
    "..%2F..%2Fetc",
    "%FF%FE",  # not UTF-8
    "x" * 3000,
    quote("地図-不是-領土😀"),
    quote("' OR 1=1 --"),
]

ADMIN_PATH_VALUES = ["%C2%B2", "%00", "9223372036854775808", "-1", "x" * 3000, "%FF%FE"]

# Values put into every query parameter a page reads.
QUERY_KEYS = ["page", "pseud", "fandom", "relationship", "view_full_work", "view_adult", "next"]
QUERY_VALUES = [
    "%C2%B2",
    "%00",
    "a%00b",
    "9" * 30,
    "9" * 5000,
    "-1",
    "1e9",
    "",
    "%FF%FE",
    "_%25",
    quote("ü" * 2000),
    quote("//evil.example/"),
    "true&page=2&page=x",
]

# Values put into form fields, one field at a time.
FIELD_VALUES = ["a\x00b", "²", "9223372036854775808", "9" * 5000, "-1"]
# Values put into every field of a form at once.
FORM_VALUES = [*FIELD_VALUES, "\x00", "", "é" * 20_000]

# Whole request bodies posted to every page that takes a POST.
FORM = "application/x-www-form-urlencoded"
BODIES = [
    ("a=b".encode("utf-16"), f"{FORM}; charset=utf-16"),
    (b"a=b", f"{FORM}; charset=nope"),
    (b"a=%FF%FE&%00=%00&title=a%00b", FORM),
    (b"--xx\r\nbroken", "multipart/form-data"),
    (b"--xx\r\nbroken", "multipart/form-data; boundary=xx"),
    (
        b"--xx\r\nContent-Disposition: form-data\r\n\r\nv\r\n--xx--\r\n",
        "multipart/form-data; boundary=xx",
    ),
    (
        b'--xx\r\nContent-Disposition: form-data; name="upload"; filename="a\x00.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\n\x00\xff\r\n--xx--\r\n",
        "multipart/form-data; boundary=xx",
    ),
    (b"--xx\r\n", "multipart/form-data; boundary=xx; charset=utf-16"),
    ("&".join(f"f{i}=1" for i in range(2500)).encode(), FORM),
    (b'{"title": "\\u0000"}', "application/json"),
    (b"\x00\xff" * 50, "text/plain"),
    (b"", ""),
]


@pytest.fixture(autouse=True)
def _quiet_request_logs():
    """Thousands of 4xx answers would each log a line (and a traceback for
    the 400s); a 5xx is caught from the response, not from the log."""
    loggers = [logging.getLogger(name) for name in ("django.request", "django.security")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


@dataclass
class Archive:
    """What the requests hit: a creator with a posted two-chapter work in a
    series, a draft, an invitation to co-create, tags; a member; staff."""

    author: object
    member: object
    staff: object
    work: Work
    series: Series
    values: dict[str, str]


@pytest.fixture
def archive():
    author = make_user("alice")
    member = make_user("bob")
    staff = make_user("root", is_staff=True, is_superuser=True)
    work = make_work(
        author,
        chapters=2,
        expected_chapters=None,
        fandoms=["Ab Fandom"],
        relationships=["Ann/Bo"],
        rating="explicit",
    )
    make_work(author, title="Another", fandoms=["Ab Fandom"])
    make_work(author, title="Draft", post=False)
    series = make_series(author, [work])
    invited = make_work(member, title="Together", co_creators=[author.default_pseud])
    invitation = invited.creatorships.get(pseud__user=author)
    chapter = work.chapters.order_by("position").last()
    assert chapter is not None
    values = {
        "works:pk": str(work.pk),
        "series:pk": str(series.pk),
        "invitations:pk": str(invitation.pk),
        "account:pk": str(author.default_pseud.pk),
        "chapter_id": str(chapter.pk),
        "work_id": str(work.pk),
        "username": "alice",
        "slug": work.fandoms()[0].slug,
        "token": "MQ:1xVbnZ:nothing",
        "uidb64": "MQ",
        "app_label": "works",
        "object_id": str(work.pk),
        "content_type_id": str(ContentType.objects.get_for_model(Work).pk),
        "url": "works/",
    }
    return Archive(author, member, staff, work, series, values)


# URL patterns -----------------------------------------------------------------

_ROUTE_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


def _regex_template(regex: str) -> str:
    """'^(?P<app_label>works|tags)/$' -> '{app_label}/'."""
    regex = regex.removeprefix("^").removesuffix("$").removesuffix(r"\Z")
    out, i = [], 0
    while i < len(regex):
        match = re.match(r"\(\?P<(\w+)>", regex[i:])
        if match:
            depth, j = 1, i + len(match.group(0))
            while depth:
                depth += {"(": 1, ")": -1}.get(regex[j], 0) if regex[j - 1] != "\\" else 0
                j += 1
            out.append("{" + match.group(1) + "}")
            i = j
        else:
            out.append(regex[i] if regex[i] != "\\" else "")
            i += 1
    return "".join(out)


def _templates(patterns, prefix=""):
    for pattern in patterns:
        route = getattr(pattern.pattern, "_route", None)
        if route is not None:
            part = _ROUTE_PARAM.sub(r"{\1}", str(route))
        else:
            part = _regex_template(pattern.pattern.regex.pattern)
        if isinstance(pattern, URLResolver):
            yield from _templates(pattern.url_patterns, prefix + part)
        else:
            yield "/" + prefix + part, pattern.name or ""


def url_templates() -> list[tuple[str, str]]:
    return sorted(set(_templates(get_resolver().url_patterns)))


def _params(template: str) -> list[str]:
    return re.findall(r"\{(\w+)\}", template)


def _fill(template: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], template)


def _good_values(template: str, archive: Archive) -> dict[str, str]:
    top = template.strip("/").split("/")[0]
    return {
        name: archive.values.get(f"{top}:{name}") or archive.values.get(name, "1")
        for name in _params(template)
    }


def _resolves(path: str) -> bool:
    try:
        resolve(unquote(path))
    except Resolver404:
        return False
    return True


def _is_destructive(template: str, name: str) -> bool:
    """Requests after which the archive is not what the others expect."""
    return any(word in template + name for word in ("delete", "remove", "logout", "invitation"))


def _path_variants(template: str, archive: Archive, values=PATH_VALUES) -> list[str]:
    good = _good_values(template, archive)
    paths = [_fill(template, good)]
    for name in good:
        for value in values:
            paths.append(_fill(template, {**good, name: value}))
    return paths


# Requests ---------------------------------------------------------------------


@dataclass
class Fuzzer:
    clients: dict[str, Client]
    archive: Archive
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def send(
        self, who: str, method: str, path: str, body=b"", content_type=FORM, csrf=True, note=""
    ):
        client = self.clients[who]
        headers = {}
        token = client.cookies.get("csrftoken")
        if csrf and token:
            headers["X-CSRFToken"] = token.value
        self.requests += 1
        try:
            if method in ("GET", "HEAD"):
                response = client.generic(method, path, headers=headers)
            else:
                response = client.generic(
                    method, path, body, content_type=content_type, headers=headers
                )
        except Exception as error:  # escaped Django's handler: the server's own 500
            self._fail(who, method, path, note or body, 500, error)
            return None
        self.statuses[response.status_code // 100] += 1
        if response.status_code >= 500:
            # The test client sets exc_info on its responses; django-stubs leaves it out.
            exc_info = response.exc_info  # type: ignore[attr-defined]
            self._fail(who, method, path, note or body, response.status_code, exc_info)
        if "logout" in path and who in ("author", "member", "staff"):
            client.force_login(getattr(self.archive, who))
        return response

    def post_form(self, who: str, path: str, pairs, multipart: bool, note: str):
        if multipart:
            data: dict[str, list[str]] = {}
            for name, value in pairs:
                data.setdefault(name, []).append(value)
            body = encode_multipart("BoUnDaRy", data)
            content_type = "multipart/form-data; boundary=BoUnDaRy"
        else:
            body, content_type = urlencode(list(pairs)).encode(), FORM
        return self.send(who, "POST", path, body, content_type, note=note)

    def _fail(self, who, method, path, body, status, error):
        if isinstance(error, tuple):
            error = error[1]
        head = f"{type(error).__name__}: {error}"[:200] if error else "no exception"
        shown = body[:120]
        self.failures.append(f"{status} {who} {method} {path[:160]} {shown!r} -> {head}")

    def check(self, label: str):
        print(
            f"\n[fuzz {connection.vendor}] {label}: {self.requests} requests, "
            f"{len(self.failures)} 5xx; by status class {dict(sorted(self.statuses.items()))}"
        )
        assert self.failures == [], "\n".join(self.failures[:40])


def _client(user=None) -> Client:
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.cookies["csrftoken"] = secrets.token_hex(16)
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def fuzzer(archive, monkeypatch):
    # The test client copies the context of every template rendered (a form
    # page renders a hundred widget templates); nothing here reads them.
    monkeypatch.setattr(django.test.client, "store_rendered_templates", lambda *a, **k: None)
    clients = {
        "guest": _client(),
        "member": _client(archive.member),
        "author": _client(archive.author),
        "staff": _client(archive.staff),
        "forger": Client(enforce_csrf_checks=True, raise_request_exception=False),
    }
    return Fuzzer(clients, archive)


def _ordered(templates):
    """Requests that delete, decline or log out go last."""
    return sorted(templates, key=lambda t: _is_destructive(*t))


# Forms --------------------------------------------------------------------------


@dataclass
class Form:
    action: str
    multipart: bool
    pairs: list[tuple[str, str]] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    # Checkboxes, radio buttons and selects: a closed set of values.
    choices: set[str] = field(default_factory=set)


class _FormParser(HTMLParser):
    """The POST forms of a page with what a browser would send from them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._textarea: str | None = None
        self._select: str | None = None
        self._select_value: str | None = None
        self._submitted = False

    def _name(self, name: str, value: str | None):
        assert self._form is not None
        if name not in self._form.names:
            self._form.names.append(name)
        if value is not None:
            self._form.pairs.append((name, value))

    def handle_starttag(self, tag, attrs):
        a = {key: value or "" for key, value in attrs}
        if tag == "form":
            self._form = None
            if a.get("method", "get").lower() == "post":
                self._form = Form(a.get("action", ""), "multipart" in a.get("enctype", ""))
                self.forms.append(self._form)
                self._submitted = False
            return
        if self._form is None or not a.get("name"):
            if tag == "option" and self._select and (self._select_value is None):
                self._select_value = a.get("value", "")
            return
        kind = a.get("type", "text" if tag == "input" else "submit").lower()
        name = a["name"]
        if tag == "input" and kind not in ("file", "image", "reset", "submit"):
            checked = kind not in ("checkbox", "radio") or "checked" in a
            if kind in ("checkbox", "radio"):
                self._form.choices.add(name)
            self._name(
                name, a.get("value", "on" if kind == "checkbox" else "") if checked else None
            )
        elif tag in ("button", "input") and kind == "submit":
            self._name(name, None if self._submitted else a.get("value", ""))
            self._submitted = True
        elif tag == "textarea":
            self._textarea = name
            self._name(name, None)
            self._form.pairs.append((name, ""))
        elif tag == "select":
            self._select, self._select_value = name, None
            self._form.choices.add(name)
            self._name(name, None)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        if self._textarea and self._form and self._form.pairs:
            name, value = self._form.pairs[-1]
            self._form.pairs[-1] = (name, value + data)

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select" and self._form is not None and self._select:
            self._form.pairs.append((self._select, self._select_value or ""))
            self._select = None
        elif tag == "form":
            self._form = None


def page_forms(html: str, path: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    for form in parser.forms:
        form.action = form.action or path
        form.pairs = [(n, v) for n, v in form.pairs if n != "csrfmiddlewaretoken"]
        form.names = [n for n in form.names if n != "csrfmiddlewaretoken"]
    return parser.forms


def _with(pairs, name: str, value: str):
    kept = [(n, v) for n, v in pairs if n != name]
    return [*kept, (name, value)]


# Tests --------------------------------------------------------------------------


@pytest.mark.django_db
def test_malformed_paths_never_answer_5xx(fuzzer, archive):
    work, series = archive.work, archive.series
    for page in (work.get_absolute_url(), series.get_absolute_url(), "/users/alice/works"):
        assert fuzzer.send("author", "GET", page).status_code == 200, "the archive is reachable"
    templates = _ordered(url_templates())
    # Every malformed path first, then the real pages (some of which delete).
    plan: list[tuple[str, bool, bool]] = []
    for template, _name in templates:
        admin = template.startswith("/admin/")
        # The admin is Django's own: a few values reach it, as a guest and as staff.
        values = ADMIN_PATH_VALUES if admin else PATH_VALUES
        plan.extend((path, admin, False) for path in _path_variants(template, archive, values)[1:])
    plan.extend(
        (_path_variants(t, archive)[0], t.startswith("/admin/"), True) for t, _ in templates
    )
    for path, admin, real in plan:
        fuzzer.send("guest", "GET", path)
        if not real and not _resolves(path):
            # No view answers it: the 404 (400 for NUL) is the same for everyone.
            fuzzer.send("author", "POST", path, b"title=%00&position=%C2%B2")
            continue
        if admin:
            fuzzer.send("staff", "GET", path)
            continue
        fuzzer.send("guest", "HEAD", path)
        fuzzer.send("author", "GET", path)
        fuzzer.send("author", "HEAD", path)
        if real:
            fuzzer.send("member", "GET", path)
        fuzzer.send("author", "POST", path, b"title=%00&position=%C2%B2")
    fuzzer.check("malformed paths")


@pytest.mark.django_db
def test_malformed_queries_never_answer_5xx(fuzzer, archive):
    for template, name in url_templates():
        if _is_destructive(template, name):
            continue
        path = _path_variants(template, archive)[0]
        if template.startswith("/admin/"):
            # Django's own: its lists with a few values in their own parameters.
            if template.endswith("/"):
                for value in ADMIN_PATH_VALUES:
                    query = "&".join(f"{key}={value}" for key in ("q", "o", "p", "e", "all"))
                    fuzzer.send("staff", "GET", f"{path}?{query}")
            continue
        for number, value in enumerate(QUERY_VALUES):
            query = "&".join(f"{key}={value}" for key in QUERY_KEYS)
            fuzzer.send(("guest", "author")[number % 2], "GET", f"{path}?{query}")
        fuzzer.send("guest", "GET", f"{path}?a%00=1&{'&'.join('k=1' for _ in range(2100))}")
    # One at a time where several are read, so none hides behind another's error.
    for value in QUERY_VALUES:
        for key in ("pseud", "fandom", "relationship", "page"):
            fuzzer.send("author", "GET", f"/users/alice/works?{key}={value}")
    fuzzer.check("malformed queries")


@pytest.mark.django_db
def test_malformed_bodies_never_answer_5xx(fuzzer, archive):
    for template, _name in _ordered(url_templates()):
        if template.startswith("/admin/"):
            continue
        path = _path_variants(template, archive)[0]
        for body, content_type in BODIES:
            fuzzer.send("author", "POST", path, body, content_type)
            if template.startswith("/account/"):
                fuzzer.send("guest", "POST", path, body, content_type)
        fuzzer.send("forger", "POST", path, *BODIES[0])
        fuzzer.send("author", "POST", path, *BODIES[0], csrf=False)
    too_big = b"a=" + b"x" * (13 * 1024 * 1024)
    fuzzer.send("author", "POST", "/works/new", too_big, FORM)
    cookie = fuzzer.clients["guest"].cookies
    cookie["sessionid"] = "abcdefgh\x00ijkl"
    fuzzer.send("guest", "GET", "/")
    fuzzer.send("guest", "POST", "/account/login/", b"username=a&password=b")
    fuzzer.check("malformed bodies")


def _form_pages(archive: Archive) -> list[tuple[str, str]]:
    work, chapter = archive.work.pk, archive.values["chapter_id"]
    series, pseud = archive.series.pk, archive.values["account:pk"]
    author_pages = [
        "/works/new",
        f"/works/{work}/edit",
        f"/works/{work}/chapters/new",
        f"/works/{work}/chapters/{chapter}/edit",
        f"/works/{work}/chapters/order",
        "/series/new",
        f"/series/{series}/edit",
        "/account/preferences/",
        "/account/pseuds/new/",
        f"/account/pseuds/{pseud}/edit/",
        "/account/password/change/",
        "/users/alice/",
        f"/works/{work}/delete",
        f"/works/{work}/chapters/{chapter}/delete",
        f"/series/{series}/delete",
    ]
    guest_pages = ["/account/signup/", "/account/login/", "/account/password/reset/"]
    # The adult-content notice of the explicit work, as readers see it.
    reader_pages = [("member", f"/works/{work}/"), ("guest", f"/works/{work}/chapters/{chapter}/")]
    return [
        *(("author", page) for page in author_pages),
        *(("guest", page) for page in guest_pages),
        *reader_pages,
    ]


@pytest.mark.django_db
def test_malformed_form_values_never_answer_5xx(fuzzer, archive):
    forms: list[tuple[str, Form]] = []
    for who, page in _form_pages(archive):
        response = fuzzer.send(who, "GET", page)
        assert response is not None and response.status_code == 200, page
        forms.extend((who, form) for form in page_forms(response.content.decode(), page))
    seen = set()
    unique = []
    for who, form in forms:
        key = (form.action, tuple(form.names))
        if key not in seen:
            seen.add(key)
            unique.append((who, form))
    unique.sort(key=lambda item: _is_destructive(item[1].action, ""))
    assert len(unique) >= 12, [f.action for _, f in unique]
    for who, form in unique:
        post = functools.partial(fuzzer.post_form, who, form.action, multipart=form.multipart)
        post(form.pairs, note="as the page fills it")
        for value in FORM_VALUES:
            post([(name, value) for name in form.names], note=f"every field {value[:30]!r}")
        for name in form.names:
            if name in form.choices:
                # Parsed on its own whatever the other fields hold (the values
                # above reach it): here, a bad value among the good ones.
                post([*form.pairs, (name, "9" * 5000), (name, "²")], note=f"{name} += bad")
                continue
            # Each typed value with the rest of the form valid, so that what
            # the field lets through reaches the view and the service.
            for value in FIELD_VALUES:
                post(_with(form.pairs, name, value), note=f"{name}={value[:30]!r}")
    fuzzer.check(f"malformed form values ({len(unique)} forms)")


# What the probe found, one by one -------------------------------------------------


@pytest.fixture
def author_client(archive):
    return _client(archive.author)


def _post(client, path, body: bytes, content_type=FORM):
    token = client.cookies["csrftoken"].value
    return client.generic(
        "POST", path, body, content_type=content_type, headers={"X-CSRFToken": token}
    )


@pytest.mark.django_db
def test_a_pseud_filter_that_is_no_id_is_ignored(author_client):
    for value in ("%C2%B2", "9" * 5000, "9223372036854775808"):
        response = author_client.get(f"/users/alice/works?pseud={value}")
        assert response.status_code == 200


@pytest.mark.django_db
def test_nul_in_the_address_is_a_bad_request(author_client):
    for path in ("/tags/a%00b/", "/users/al%00ice/", "/users/alice/works?fandom=a%00b", "/?a%00"):
        assert author_client.get(path).status_code == 400, path


@pytest.mark.django_db
def test_a_cookie_holding_nul_reads_as_no_cookie(author_client):
    author_client.cookies["sessionid"] = "abcdefgh\x00ijklmnop"
    response = author_client.get("/")
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated


@pytest.mark.django_db
def test_ids_no_database_can_hold_are_not_found(author_client, archive):
    series, work = archive.series.pk, archive.work.pk
    for id_ in ("9223372036854775808", "9" * 30, "9" * 5000):
        assert author_client.get(f"/works/{id_}/").status_code == 404
        assert author_client.get(f"/works/{work}/chapters/{id_}/").status_code == 404
        assert (
            _post(author_client, f"/series/{series}/works/{id_}/move", b"move_to=1").status_code
            == 404
        )
    assert author_client.get("/works/9223372036854775807/").status_code == 404


@pytest.mark.django_db
def test_a_place_that_is_no_number_comes_back_with_a_message(author_client, archive):
    path = f"/series/{archive.series.pk}/works/{archive.work.pk}/move"
    for value in ("%C2%B2", "9" * 5000, "-1"):
        response = _post(author_client, path, f"move_to={value}".encode())
        assert response.status_code == 302
        page = author_client.get(response["Location"])
        assert "Give the new place as a number." in page.content.decode()


@pytest.mark.django_db
def test_pseuds_that_are_no_ids_are_an_invalid_choice(author_client):
    for value in ("9" * 5000, "%C2%B2", "9223372036854775808"):
        response = _post(author_client, "/works/new", f"title=T&pseuds={value}".encode())
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()


@pytest.mark.django_db
def test_nul_in_a_typed_value_is_a_form_error(author_client):
    response = _post(author_client, "/works/new", b"title=a%00b&body=x%00y&fandoms=a%00b")
    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()


@pytest.mark.django_db
def test_a_body_django_cannot_read_is_a_bad_request(author_client):
    """With CSRF enforced as on a real server: the check reads the body."""
    bodies = [
        ("a=b".encode("utf-16"), f"{FORM}; charset=utf-16"),
        (b"--xx\r\nbroken", "multipart/form-data"),
        ("&".join(f"f{i}=1" for i in range(2500)).encode(), FORM),
    ]
    for body, content_type in bodies:
        for path in ("/works/new", "/account/login/", "/works/9/edit"):
            response = _post(author_client, path, body, content_type)
            assert response.status_code == 400, (path, content_type)
