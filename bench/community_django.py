"""The Django side of bench.community: the archive it writes on, the rows
afterwards, and where a comment's and a kudos's time goes (one member's
POSTs through django.test.Client in the benchmark's process, on the
database the load run left). Import after django_setup(); see
bench/README.md, "Comments and kudos under load"."""

import cProfile
import io
import pstats
import re
import time
from collections import Counter
from collections.abc import Iterable

from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Q
from django.http import HttpRequest
from django.test import Client

from bench.community import PASSWORD, Outcome, comment_text
from bench.load.duster import database_migrate, statistics_refresh
from duster.accounts.models import User
from duster.community.choices import CommentState
from duster.community.models import Comment, Kudos
from duster.testing.factories import make_work
from duster.works.models import Chapter, Work


def archive_make(*, works: int, creators: int, clients: int) -> dict:
    """A fresh database: `creators` writers with `works` works of 1 to 5
    chapters through the posting services, `clients` members plus one for
    the profile, all with PASSWORD (hashed once)."""
    name = database_migrate(keep=False)
    if connection.vendor == "postgresql":
        call_command("flush", interactive=False, verbosity=0)
    started = time.perf_counter()
    first = User.objects.create_user("bench_member_0", "bench_member_0@example.com", PASSWORD)
    users = [first]
    for number in range(1, clients + 1 + creators):
        user = User(username=f"bench_member_{number}", email=f"m{number}@example.com")
        user.password = first.password
        user.save()
        users.append(user)
    members, spare, writers = users[:clients], users[clients], users[clients + 1 :]
    for number in range(works):
        make_work(
            writers[number % creators],
            title=f"Bench work {number}",
            chapters=1 + number % 5,
            expected_chapters=None,
        )
    chapters: dict[int, list[int]] = {}
    for work_id, chapter_id in Chapter.objects.filter(posted=True).values_list("work", "pk"):
        chapters.setdefault(work_id, []).append(chapter_id)
    statistics_refresh()
    print(
        f"made {works} works ({sum(map(len, chapters.values()))} chapters) by {creators} "
        f"creators and {clients + 1} members in {time.perf_counter() - started:.0f} s, in {name}"
    )
    return {"members": members, "spare": spare, "chapters": chapters}


def kudos_told(outcomes: Iterable[Outcome]) -> None:
    """A kudos 303 counts only when its message thanks the member: a refusal
    (already left, blocked, …) is a 303 to the work page too."""
    storage = CookieStorage(HttpRequest())
    for outcome in outcomes:
        if outcome.kind != "kudos" or not outcome.accepted:
            continue
        told = storage._decode(outcome.told) if outcome.told else None
        if not told or any(message.level != constants.SUCCESS for message in told):
            outcome.accepted = False
            said = "; ".join(str(message) for message in told or [])
            outcome.detail = f"303 saying {said or 'nothing'!r}"


def rows_now() -> tuple[dict, set, list]:
    """Every comment, every kudos and every work's counters beside its rows."""
    comments = {
        pk: (user, work, text)
        for pk, user, work, text in Comment.objects.values_list("pk", "user", "work", "body_source")
    }
    kudos = set(Kudos.objects.values_list("user", "work"))
    published = Q(comments__state=CommentState.PUBLISHED)
    counted = Work.objects.annotate(
        comment_rows=Count("comments", filter=published, distinct=True),
        kudos_rows=Count("kudos", distinct=True),
    ).values_list("pk", "comment_count", "comment_rows", "kudos_count", "kudos_rows")
    return comments, kudos, list(counted)


def database_pids() -> list[int]:
    """PostgreSQL's server processes for this database (the workers' kept
    connections), whose CPU is the database's share; none on SQLite."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


# cProfile's own time of each function, summed by what it belongs to (the
# first match); built-ins are called from all the others.
GROUPS = (
    ("SQL: the database driver", ("sqlite3", "psycopg")),
    ("Django ORM: building, compiling, rows to objects", ("django/db/",)),
    ("templates", ("django/template/",)),
    ("request, middleware, session, auth, CSRF, messages", ("django/",)),
    ("rich text: parsing and sanitizing", ("nh3", "markdown_it", "duster/lib/richtext", "text.py")),
    ("duster/lib: caches, page cache", ("duster/lib/",)),
    ("duster/search: keeping the index current", ("duster/search/",)),
    ("duster/community", ("duster/community/",)),
    ("duster/works", ("duster/works/",)),
    ("duster/accounts, tags", ("duster/accounts/", "duster/tags/")),
    ("Python built-ins and standard library", ("~", "/lib/python3")),
)


def normalized(sql: str) -> str:
    """A statement with its values and column lists taken out, to add up
    its kind's time."""
    depth = 0
    for match in re.finditer(r"[()]| FROM ", sql):  # the outer FROM
        if match[0] in "()":
            depth += 1 if match[0] == "(" else -1
        elif depth == 0:
            if sql.startswith("SELECT ") and match.start() > 40:
                sql = "SELECT …" + sql[match.start() :]
            break
    sql = re.sub(r"^(INSERT INTO \S+) \(.*?\) ", r"\1 (…) ", sql)
    sql = re.sub(r"'(?:[^']|'')*'", "?", sql)
    sql = re.sub(r"\b\d+(\.\d+)?\b", "?", sql)
    return re.sub(r"\(\?(, \?)+\)", "(…)", sql)[:150]


def group_of(filename: str, function: str) -> str:
    where = f"{filename} {function}"
    for label, marks in GROUPS:
        if any(mark in where for mark in marks):
            return label
    return "other"


def time_by_group(profiler: cProfile.Profile) -> Counter:
    """Seconds of own time per group of GROUPS."""
    spent: Counter = Counter()
    for (filename, _, function), row in pstats.Stats(profiler).stats.items():  # type: ignore[attr-defined]
        spent[group_of(filename, function)] += row[2]
    return spent


def print_profile(profiler: cProfile.Profile, runs: int) -> None:
    spent = time_by_group(profiler)
    whole = sum(spent.values())
    print(f"  cProfile of {runs} more (its overhead inflates Python-heavy parts), own time:")
    for label, seconds in spent.most_common():
        print(f"  {seconds * 1000 / runs:7.2f} ms {100 * seconds / whole:5.1f} %  {label}")
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    # Not the middleware (each holds the whole request) nor the wrapper round
    # every statement (duster.works.signals._lists_follow_writes).
    wrappers = (
        r"lib/(middleware|pagecache)|accounts/middleware|images/midd|works/signals.py:\d+\(_lists"
    )
    stats.print_stats(rf"duster/(?!{wrappers})", 18)
    lines = out.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if "ncalls" in line)
    print(f"  Duster's functions by cumulative time ({runs} requests):")
    print("\n".join("  " + line for line in lines[start:] if line.strip()))


def profile_writes(
    user, chapters: dict[int, list[int]], runs: int, kinds=("comment", "kudos")
) -> None:
    """`runs` comments and kudos by `user` through django.test.Client, after a
    warm-up: per request the time, the queries and their time (the rest is
    Python: forms, sanitizing, the ORM, signals), the costliest statements;
    then cProfile's split of `runs` more by part and Duster's functions."""
    client = Client()
    client.force_login(user)
    work_ids = sorted(chapters)
    targets = iter(work_ids)
    commit_time = [0.0]
    original_commit = connection._commit
    statements: Counter = Counter()  # seconds per kind of statement

    def timed_query(execute, sql, params, many, context):
        begin = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            statements[normalized(sql)] += time.perf_counter() - begin
            statements[None] += 1  # the count

    def timed_commit(*args):
        begin = time.perf_counter()
        try:
            return original_commit(*args)
        finally:
            commit_time[0] += time.perf_counter() - begin

    def post(kind: str, number: int) -> None:
        if kind == "kudos":
            response = client.post(f"/works/{next(targets)}/kudos")
        else:
            work_id = work_ids[number % len(work_ids)]
            form = {"body": comment_text(999, number)}
            if len(chapters[work_id]) > 1:
                form["chapter"] = chapters[work_id][-1]
            response = client.post(f"/works/{work_id}/comments/new", form)
        if response.status_code != 303:
            raise SystemExit(f"profile: {kind} answered {response.status_code}")

    runs = min(runs, (len(work_ids) - 3) // 2)  # kudos: a work each
    connection._commit = timed_commit  # type: ignore[method-assign]
    try:
        for kind in kinds:
            for number in range(3):
                post(kind, number)  # warm-up
            statements.clear()
            commit_time[0] = 0.0
            begin, cpu = time.perf_counter(), time.process_time()
            with connection.execute_wrapper(timed_query):
                for number in range(runs):
                    post(kind, number)
            whole = (time.perf_counter() - begin) * 1000 / runs
            cpu_ms = (time.process_time() - cpu) * 1000 / runs
            queries = statements.pop(None)
            sql = sum(statements.values())
            sql_ms, commit_ms = sql * 1000 / runs, commit_time[0] * 1000 / runs
            print(
                f"\n{kind}, {runs} POSTs in this process: {whole:.1f} ms each"
                f" ({cpu_ms:.1f} ms CPU), {queries / runs:.1f} queries taking {sql_ms:.1f} ms"
                f" + commit {commit_ms:.1f} ms, the rest {whole - sql_ms - commit_ms:.1f} ms"
            )
            print("  the statements with the most time, per request:")
            for statement, seconds in statements.most_common(6):
                print(f"  {seconds * 1000 / runs:7.2f} ms  {statement}")
            profiler = cProfile.Profile()
            profiler.enable()
            for number in range(runs):
                post(kind, runs + number)
            profiler.disable()
            print_profile(profiler, runs)
    finally:
        connection._commit = original_commit  # type: ignore[method-assign]
