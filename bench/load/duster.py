"""Duster's side of the load benchmarks: the corpus, a reader with a session,
the pages to load and the server (what `make run` starts, without the task
worker). Import after `bench.load.setup.django_setup()`."""

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Exists, OuterRef
from django.test import Client
from django.utils.html import escape

from bench.corpus import generate
from bench.databases import use_database
from bench.load.setup import ROOT
from bench.load.wrk import BROWSER, Target
from duster.accounts.models import User
from duster.lib.sqlite import sqlite_refresh_statistics
from duster.tags.models import Tag, TagType
from duster.works.models import Chapter, Rating, SeriesEntry, Work

READER = "bench_reader"
WORKERS = 2  # as `make run`
STATIC_COPY = "bench/work-page.html"  # the guest work page's HTML, as a static file
# The latest works' order (the search's "updated" sort, since lists go through it).
LATEST = ("-updated_at", "-pk")


def database_migrate(*, keep: bool) -> str:
    """The benchmark's database migrated (a PostgreSQL one created when
    missing, an SQLite file made anew unless `keep`) and the static files
    collected; the database's name."""
    if connection.vendor == "postgresql":
        use_database(str(connection.settings_dict["NAME"]))
    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite" and not keep:
        connection.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{name}{suffix}").unlink(missing_ok=True)
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    return name


def statistics_refresh() -> None:
    """The planner's statistics as a live archive has them, and an empty cache."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would on a live archive
    else:
        sqlite_refresh_statistics()  # as every `make run` start does after migrate
    cache.clear()


def corpus_prepare(works: int, *, keep: bool) -> str:
    """Migrate and fill the database with `works` generated works (unless
    --keep finds them there already); a line that says what happened."""
    name = database_migrate(keep=keep)
    if keep and Work.objects.count() >= works:
        line = f"reused {Work.objects.count()} works in {name} (--keep)"
    else:
        call_command("flush", interactive=False, verbosity=0)
        start = time.perf_counter()
        generate(works)
        line = f"generated {works} works in {time.perf_counter() - start:.0f} s into {name}"
    statistics_refresh()
    return line


def reader_session() -> tuple[str, str]:
    """A member who writes nothing, logged in: (username, session cookie header)."""
    user = User.objects.filter(username=READER).first()
    if user is None:
        user = User.objects.create_user(
            username=READER, email=f"{READER}@example.com", password=os.urandom(16).hex()
        )
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return user.username, f"{name}={client.cookies[name].value}"


def pages() -> dict[str, tuple[str, str]]:
    """Guest pages of the generated corpus, each the heaviest of its kind a
    guest reads: a one-shot in a series, the middle chapter of the longest
    work in a series, the latest works, the works of the most used fandom;
    each with a piece of text it must show."""
    public = Work.objects.visible_to(None).filter(rating__in=[Rating.GENERAL, Rating.TEEN])
    public = public.annotate(in_series=Exists(SeriesEntry.objects.filter(work=OuterRef("pk"))))
    oneshot = public.filter(chapter_count=1).order_by("-in_series", "-word_count", "pk").first()
    longest = public.order_by("-in_series", "-chapter_count", "pk").first()
    if oneshot is None or longest is None:
        raise SystemExit("The corpus has no public one-shot or chaptered work to load.")
    chapters = list(longest.chapters.filter(posted=True).order_by("position"))
    fandom = (
        Tag.objects.filter(type=TagType.FANDOM)
        .annotate(uses=Count("worktag"))
        .order_by("-uses", "pk")
        .first()
    )
    tagged = Work.objects.visible_to(None).posted().filter(worktag__tag=fandom)
    middle = chapters[len(chapters) // 2]
    latest = Work.objects.visible_to(None).posted().order_by(*LATEST).first()
    return {
        "work": (oneshot.get_absolute_url(), text_of(oneshot.chapters.first())),
        "chapter": (middle.get_absolute_url(), text_of(middle)),
        "latest": ("/works/", title(latest)),
        "tag": (
            f"{fandom.get_absolute_url()}works" if fandom else "/works/",
            title(tagged.order_by(*LATEST).first() if fandom else None),
        ),
    }


def static_copy(work_url: str) -> str:
    """Put the guest page at `work_url` among the static files, so the same
    server can serve the same bytes as a file; its URL path."""
    html = Client().get(work_url).content
    path = Path(settings.STATIC_ROOT) / STATIC_COPY
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(html)
    return f"/{settings.STATIC_URL.strip('/')}/{STATIC_COPY}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving(
    env: dict[str, str],
    port: int,
    *,
    ready: str = f"/static/{STATIC_COPY}",
    log_name: str = "load-server.log",
) -> Iterator[int]:
    """`make run`'s server (bin/serve) on 127.0.0.1:`port`, its output to
    `log_name` under the var directory, ready when the path `ready` answers;
    yields the server's pid and stops it on the way out."""
    connection.close()
    command = [str(ROOT / "bin" / "serve")]
    env = {**env, "HOST": "127.0.0.1", "PORT": str(port), "WORKERS": str(WORKERS)}
    log = open(Path(settings.VAR_DIR) / log_name, "w")  # noqa: SIM115
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(f"http://127.0.0.1:{port}{ready}", server)
        yield server.pid
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def wait_for(url: str, process: subprocess.Popen | None = None, seconds: int = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise SystemExit(f"The server stopped (status {process.returncode}); see its log.")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise SystemExit(f"No answer from {url} after {seconds} s.")


def check_page(target: Target, must_show: str = "", *, strict: bool = True) -> bytes:
    """The page's body; fail early on a page that is not what it should be
    (an error, the adult-content notice, a login page instead of the member's
    view), or only warn when it lacks `must_show` and not `strict`."""
    request = urllib.request.Request(target.url, headers={**BROWSER, **target.headers})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            content = response.read()
    except urllib.error.HTTPError as error:
        raise SystemExit(f"{target.name}: {target.url} answered {error.code}") from error
    body = content.decode("utf-8", "replace")
    if 'class="notice adult' in body:
        raise SystemExit(f"{target.name}: {target.url} shows the adult-content notice")
    if must_show and must_show not in body:
        message = f"{target.name}: {target.url} does not show {must_show!r}"
        if strict:
            raise SystemExit(message)
        print(f"WARNING {message}: its figures are not those of the page meant")
    return content


def duster_targets(base: str, master: int, urls: dict[str, str], cookie: str) -> list[Target]:
    """The Duster mix: guest work and chapter, latest works, a tag's works, the
    work page as a logged-in member, and the static copy of the work page."""

    def processes() -> list[int]:
        return [master]

    def target(name: str, path: str, **headers: str) -> Target:
        return Target(name, base + path, "duster", processes, headers)

    return [
        target("duster guest work", urls["work"]),
        target("duster guest chapter", urls["chapter"]),
        target("duster latest works", urls["latest"]),
        target("duster tag works", urls["tag"]),
        target("duster member work", urls["work"], Cookie=cookie),
        target("duster static file", urls["static"]),
    ]


def title(work: Work | None) -> str:
    return escape(work.title) if work else ""


def text_of(chapter: Chapter | None) -> str:
    """A piece of a chapter's stored HTML, which its page shows verbatim."""
    body = chapter.body if chapter else ""
    middle = len(body) // 2
    return body[middle : middle + 40]
