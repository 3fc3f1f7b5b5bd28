"""Comments and kudos under load (issue 11, "Reliability"): `make run`'s server
(2 workers) on its own database, 50 logged-in members posting
comments and leaving kudos for 60 s, then every answer reconciled with the
rows. See bench/README.md, "Comments and kudos under load".

    .venv/bin/python -m bench.community [--clients 50] [--seconds 60] [--kudos-share 0.33]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/duster_bench_community make bench-community
"""

import argparse
import http.client
import os
import random
import re
import sys
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

from bench.load.setup import BENCH_DIR
from bench.load.wrk import BROWSER, cpu_seconds, goal, process_tree

COMMUNITY_DIR = BENCH_DIR / "community"
LOG_NAME = "community-server.log"
PASSWORD = "bench-community-password"
# Raised for the benchmark: 50 members posting flat out would hit the limits.
RATE_LIMITS = {"COMMENT_MEMBER_PER_MINUTE": "1000000", "COMMENT_GUEST_PER_HOUR": "1000000"}
WRITES_PER_SECOND = 150
P95_MS = 500
COMMENT_DONE = re.compile(r"#comment-(\d+)$")


# The pure parts (no Django, no server): what each client does, the figures,
# the reconciliation. bench/tests/test_community.py runs them.


@dataclass
class Outcome:
    """One write a client sent and what it was told."""

    kind: str  # "comment" or "kudos"
    ms: float
    status: int  # 0: no answer (socket error, timeout)
    accepted: bool
    detail: str = ""  # why it does not count as accepted
    user_id: int = 0
    work_id: int = 0
    chapter_id: int | None = None
    parent_id: int | None = None
    comment_id: int | None = None
    text: str = ""
    told: str = ""  # the messages cookie of the answer (what the member is told)


@dataclass
class Figures:
    kind: str
    sent: int
    accepted: int
    p50: float
    p95: float
    p99: float
    errors: Counter = field(default_factory=Counter)


def kudos_plan(work_ids: Sequence[int], clients: int, seed: int) -> list[list[int]]:
    """Each client's kudos targets: every work once, in an order of its own,
    so no client ever leaves kudos twice on a work (each accepted kudos must
    be a new row)."""
    plans = []
    for number in range(clients):
        order = list(work_ids)
        random.Random(seed * 1000 + number).shuffle(order)
        plans.append(order)
    return plans


def comment_text(client: int, number: int) -> str:
    """A comment of ordinary length with a marker of its own, two paragraphs,
    an accented letter and characters HTML escapes."""
    return (
        f"Bench comment c{client:03d}-{number:05d}: the lantern scene made me cry & laugh "
        "at once, and the way the ferry keeps coming back <quietly> is lovely.\n\n"
        "Café talk in the third part felt so real. Thank you for writing this!"
    )


def comment_id_from(location: str) -> int | None:
    """The new comment's id from the Location of an accepted comment."""
    match = COMMENT_DONE.search(location)
    return int(match[1]) if match else None


def same_text(sent: str, stored: str) -> bool:
    """What the member typed is what the archive kept (a form strips the ends
    and a browser sends CRLF line breaks)."""
    return sent.replace("\r\n", "\n").strip() == stored.replace("\r\n", "\n").strip()


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (`share` from 0 to 1); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * share // 1))  # ceil, at least the first
    return ordered[int(rank) - 1]


def figures(outcomes: Iterable[Outcome], kind: str) -> Figures:
    mine = [o for o in outcomes if o.kind == kind]
    times = [o.ms for o in mine]
    errors = Counter(o.detail for o in mine if not o.accepted)
    accepted = sum(o.accepted for o in mine)
    return Figures(
        kind,
        len(mine),
        accepted,
        percentile(times, 0.5),
        percentile(times, 0.95),
        percentile(times, 0.99),
        errors,
    )


def reconcile(
    outcomes: Sequence[Outcome],
    comments: dict[int, tuple[int, int, str]],
    kudos: set[tuple[int, int]],
    counters: Sequence[tuple[int, int, int, int, int]],
) -> list[str]:
    """What does not add up, empty when everything does. `comments` maps
    every comment row's id to (user, work, typed text); `kudos` holds every
    kudos row's (user, work); `counters` has, per work, (id, comment_count,
    published comment rows, kudos_count, kudos rows)."""
    problems = []
    said = [o for o in outcomes if o.accepted and o.kind == "comment"]
    ids = Counter(o.comment_id for o in said)
    if twice := [i for i, n in ids.items() if n > 1]:
        problems.append(f"{len(twice)} comment ids were answered more than once: {twice[:5]}")
    missing = [o.comment_id for o in said if o.comment_id not in comments]
    if missing:
        problems.append(f"{len(missing)} accepted comments are not in the database: {missing[:5]}")
    wrong = [
        o.comment_id
        for o in said
        if o.comment_id in comments
        and (
            comments[o.comment_id][:2] != (o.user_id, o.work_id)
            or not same_text(o.text, comments[o.comment_id][2])
        )
    ]
    if wrong:
        problems.append(f"{len(wrong)} comments differ from what was sent: {wrong[:5]}")
    if extra := set(comments) - set(ids):
        problems.append(f"{len(extra)} comment rows nobody was told about: {sorted(extra)[:5]}")
    given = [(o.user_id, o.work_id) for o in outcomes if o.accepted and o.kind == "kudos"]
    if lost := [pair for pair in given if pair not in kudos]:
        problems.append(f"{len(lost)} accepted kudos are not in the database: {lost[:5]}")
    if len(kudos) != len(given):
        problems.append(f"{len(kudos)} kudos rows for {len(given)} accepted kudos")
    for work_id, comment_count, comment_rows, kudos_count, kudos_rows in counters:
        if comment_count != comment_rows or kudos_count != kudos_rows:
            problems.append(
                f"work {work_id}: comment_count {comment_count} for {comment_rows} comments, "
                f"kudos_count {kudos_count} for {kudos_rows} kudos"
            )
    return problems


def scheduler_seconds(pids: Iterable[int]) -> tuple[float, float]:
    """Seconds every thread of the processes `pids` spent on a CPU and
    waiting for one (the kernel's schedstat): with requests always queued,
    a worker's wall time less these is time blocked (locks, sockets)."""
    running = waiting = 0.0
    for pid in pids:
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                on_cpu, queued, _ = (task / "schedstat").read_text().split()
            except (OSError, ValueError):
                continue  # ended meanwhile
            running, waiting = running + int(on_cpu) / 1e9, waiting + int(queued) / 1e9
    return running, waiting


def cookies_from(headers: Iterable[str]) -> dict[str, str]:
    """Cookie values from Set-Cookie headers (an emptied cookie is dropped)."""
    jar = SimpleCookie()
    for header in headers:
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


# Clients: members speaking HTTP/1.1 as a browser does (one connection per
# request), cookies and CSRF token included.


class Member:
    def __init__(self, port: int, user_id: int, username: str) -> None:
        self.port, self.user_id, self.username = port, user_id, username
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None):
        """(status, Location, body) of one request; cookies kept."""
        headers = {**BROWSER, "Connection": "close"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            form = {**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"http://127.0.0.1:{self.port}"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body, headers)
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        for name, value in cookies_from(response.headers.get_all("Set-Cookie") or []).items():
            if value:
                self.cookies[name] = value
            else:  # deleted
                self.cookies.pop(name, None)
        return response.status, response.headers.get("Location", ""), content

    def login(self, tries: int = 3) -> str:
        """Log in as a browser does; what went wrong, empty when nothing did.
        A refusal to wait (parallel logins from one address count as
        failures until they succeed) is printed and tried again."""
        try:
            self.request("GET", "/account/login/")
            form = {"username": self.username, "password": PASSWORD}
            status, _, body = self.request("POST", "/account/login/", form)
        except (OSError, http.client.HTTPException) as error:
            return f"{self.username}: {error!r}"
        if status == 302 and "sessionid" in self.cookies:
            return ""
        found = re.search(rb'id="form-problems".*?<li>(.{0,200}?)</li>', body, re.S)
        problem = f"{self.username}: {status} {found[1] if found else body[:200]!r}"
        if tries > 1 and b"try again in" in body:
            print(f"WARNING login refused, trying again in 2 s: {problem}", flush=True)
            time.sleep(2)
            return self.login(tries - 1)
        return problem

    def write(self, kind: str, path: str, form: dict, outcome: Outcome) -> Outcome:
        start = time.perf_counter()
        try:
            status, location, _ = self.request("POST", path, form)
        except (OSError, http.client.HTTPException) as error:
            status, location = 0, ""
            outcome.detail = f"no answer ({type(error).__name__})"
        outcome.ms = (time.perf_counter() - start) * 1000
        outcome.status = status
        # A browser follows the 303 and the page shows (and so removes) the
        # message; these clients read it later and drop it now, or messages
        # would pile up in the cookie and spill into the session.
        outcome.told = self.cookies.pop("messages", "")
        if status == 303 and kind == "comment":
            outcome.comment_id = comment_id_from(location)
            outcome.accepted = outcome.comment_id is not None
        elif status == 303:
            outcome.accepted = f"/works/{outcome.work_id}/" in location
        if not outcome.accepted and not outcome.detail:
            outcome.detail = f"{status} {location}".strip()
        return outcome


@dataclass
class Mix:
    work_chapters: dict[int, list[int]]  # a work's posted chapters
    kudos_share: float
    reply_share: float = 0.2
    seed: int = 1


def client_run(number: int, member: Member, kudos: list[int], mix: Mix, deadline: float):
    """Write until `deadline`: kudos on the next work of the client's own plan
    or a comment (a reply to one of its own now and then); the outcomes."""
    rng = random.Random(mix.seed * 7919 + number)
    works = sorted(mix.work_chapters)
    outcomes: list[Outcome] = []
    mine: list[Outcome] = []  # its accepted comments, to reply to
    while time.perf_counter() < deadline:
        if kudos and rng.random() < mix.kudos_share:
            work_id = kudos.pop()
            outcome = Outcome("kudos", 0, 0, False, user_id=member.user_id, work_id=work_id)
            outcomes.append(member.write("kudos", f"/works/{work_id}/kudos", {}, outcome))
            continue
        text = comment_text(number, len(outcomes))
        form: dict = {"body": text}
        parent = rng.choice(mine) if mine and rng.random() < mix.reply_share else None
        if parent is not None:
            work_id, chapter_id = parent.work_id, parent.chapter_id
            form["parent"] = parent.comment_id
        else:
            work_id = rng.choice(works)
            chapters = mix.work_chapters[work_id]
            chapter_id = rng.choice(chapters) if len(chapters) > 1 else None
        if chapter_id is not None:
            form["chapter"] = chapter_id
        outcome = Outcome("comment", 0, 0, False, "", member.user_id, work_id, chapter_id)
        outcome.text, outcome.parent_id = text, parent.comment_id if parent else None
        member.write("comment", f"/works/{work_id}/comments/new", form, outcome)
        outcomes.append(outcome)
        if outcome.accepted:
            mine.append(outcome)
    return outcomes


def load_run(members: Sequence[Member], plans: list[list[int]], mix: Mix, seconds: float):
    """Every member writing at once for `seconds`; outcomes and wall seconds."""
    results: list[list[Outcome]] = [[] for _ in members]
    start = threading.Barrier(len(members) + 1)
    times: dict[str, float] = {}

    def work(index: int) -> None:
        start.wait()
        results[index] = client_run(index, members[index], plans[index], mix, times["deadline"])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(members))]
    for thread in threads:
        thread.start()
    times["begin"] = time.perf_counter()
    times["deadline"] = times["begin"] + seconds
    start.wait()
    for thread in threads:
        thread.join()
    return [o for result in results for o in result], time.perf_counter() - times["begin"]


def logins(members: Sequence[Member]) -> None:
    problems: list[str] = []
    threads = [threading.Thread(target=lambda m=m: problems.append(m.login())) for m in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if problems := [p for p in problems if p]:
        raise SystemExit("Members could not log in:\n" + "\n".join(problems))


def report(outcomes: list[Outcome], seconds: float, clients: int) -> tuple[bool, float]:
    """The figures per kind and the goals on them; (all met, writes/s)."""
    accepted = sum(o.accepted for o in outcomes)
    rate = accepted / seconds
    print(f"\n{clients} clients, {seconds:.1f} s: {len(outcomes)} writes sent, {accepted} accepted")
    print(f"{'kind':<9}{'sent':>7}{'accepted':>9}{'/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}")
    met = True
    for kind in ("comment", "kudos"):
        f = figures(outcomes, kind)
        print(
            f"{kind:<9}{f.sent:>7}{f.accepted:>9}{f.accepted / seconds:>8.1f}"
            f"{f.p50:>8.0f}{f.p95:>8.0f}{f.p99:>8.0f}"
        )
        for detail, count in f.errors.most_common(8):
            print(f"    {count} × {detail}")
        if f.sent:
            met &= goal(f"{kind} p95 ms", f.p95, P95_MS, at_least=False)
    all_ms = [o.ms for o in outcomes]
    print(
        f"all writes: p50 {percentile(all_ms, 0.5):.0f} ms, p95 {percentile(all_ms, 0.95):.0f} ms"
    )
    met &= goal("accepted writes/s", rate, WRITES_PER_SECOND, at_least=True)
    errors = len(outcomes) - accepted
    met &= goal("writes not accepted (5xx, refusals, no answer)", errors, 0, at_least=False)
    return met, rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50, help="members writing at once")
    parser.add_argument("--seconds", type=float, default=60, help="how long they write")
    parser.add_argument("--kudos-share", type=float, default=1 / 3, help="share of kudos")
    parser.add_argument("--works", type=int, default=200, help="works to comment on")
    parser.add_argument("--creators", type=int, default=5, help="their creators")
    parser.add_argument("--profile-runs", type=int, default=40, help="0: no profile")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    for name, value in RATE_LIMITS.items():
        os.environ.setdefault(name, value)
    from bench.load.setup import django_setup

    env = django_setup(directory=COMMUNITY_DIR, database="community.sqlite3")
    from bench.community_django import archive_make, database_pids, kudos_told, rows_now
    from bench.load import duster

    archive = archive_make(works=args.works, creators=args.creators, clients=args.clients)
    limits = ", ".join(f"{name}={os.environ[name]}" for name in RATE_LIMITS)
    port = duster.free_port()
    mix = Mix(archive["chapters"], args.kudos_share, seed=args.seed)
    plans = kudos_plan(sorted(archive["chapters"]), args.clients, args.seed)
    members = [Member(port, u.pk, u.username) for u in archive["members"]]
    with duster.serving(env, port, ready="/account/login/", log_name=LOG_NAME) as master:
        logins(members)
        print(f"Duster at 127.0.0.1:{port} (2 workers), {len(members)} members logged in")
        print(f"{limits}; writing for {args.seconds:g} s, kudos share {args.kudos_share:.2f}")
        roots = [master, *database_pids()]
        workers = process_tree([master]) - {master}
        server_cpu, client_cpu = cpu_seconds(roots), time.process_time()
        database_cpu = cpu_seconds(roots[1:])
        before = scheduler_seconds(workers)
        outcomes, seconds = load_run(members, plans, mix, args.seconds)
        server_cpu, client_cpu = cpu_seconds(roots) - server_cpu, time.process_time() - client_cpu
        database_cpu = cpu_seconds(roots[1:]) - database_cpu
        after = scheduler_seconds(workers)
        running, waiting = after[0] - before[0], after[1] - before[1]
    kudos_told(outcomes)
    met, rate = report(outcomes, seconds, args.clients)
    sent = max(1, len(outcomes))
    print(
        f"CPU per write sent: server {server_cpu * 1000 / sent:.1f} ms "
        f"({'server + PostgreSQL' if len(roots) > 1 else 'server, SQL included'}, "
        f"{100 * server_cpu / seconds:.0f}% of a core), "
        f"the clients {client_cpu * 1000 / sent:.1f} ms ({100 * client_cpu / seconds:.0f}%)"
    )
    if len(roots) > 1:
        print(
            f"  of which the server {(server_cpu - database_cpu) * 1000 / sent:.1f} ms, "
            f"PostgreSQL {database_cpu * 1000 / sent:.1f} ms"
        )
    ceiling = (os.cpu_count() or 1) * sent / max(server_cpu + client_cpu, 1e-9)
    print(f"  at that CPU per write, all {os.cpu_count()} cores would serve {ceiling:.0f} writes/s")
    wall = len(workers) * seconds / 100
    print(
        f"the server's {len(workers)} workers: {running / wall:.0f}% of the time on a CPU, "
        f"{waiting / wall:.0f}% waiting for one (other programs' turn), "
        f"{100 - (running + waiting) / wall:.0f}% blocked (locks, sockets, between requests)"
    )
    log = (COMMUNITY_DIR / LOG_NAME).read_text(errors="replace")
    locked = log.count("database is locked")
    met &= goal('"database is locked" in the server log', locked, 0, at_least=False)
    if tracebacks := log.count("Traceback"):
        print(f"  the server log ({COMMUNITY_DIR / LOG_NAME}) has {tracebacks} tracebacks")
    problems = reconcile(outcomes, *rows_now())
    for problem in problems:
        print(f"  reconciliation: {problem}")
    met &= goal("reconciliation problems", len(problems), 0, at_least=False)
    if args.profile_runs:
        from bench.community_django import profile_writes

        profile_writes(archive["spare"], archive["chapters"], args.profile_runs)
    print(f"\n{'ALL MET' if met else 'MISSED'}: {rate:.1f} accepted writes/s")
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
