"""Driving servers with wrk: targets interleaved over rounds, the figures of
each run, their medians, and the CPU the serving processes spent per request."""

import os
import re
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
# Sent with every request, as browsers do (eFiction logs a warning per request without it).
BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) duster-load-bench"}


@dataclass
class Target:
    """One URL to load. `server` names what answers it (its static file is
    the baseline of its ratio); `processes` gives the pids whose CPU time,
    with their children's, is the cost of serving it."""

    name: str
    url: str
    server: str
    processes: Callable[[], list[int]]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Sample:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    cpu_ms: float  # CPU of the serving processes per request
    problems: str  # socket errors and non-2xx/3xx answers; empty when none


@dataclass
class Summary:
    target: Target
    samples: list[Sample]

    @property
    def rps(self) -> float:
        return statistics.median(s.requests_per_second for s in self.samples)

    @property
    def p50(self) -> float:
        return statistics.median(s.p50_ms for s in self.samples)

    @property
    def p99(self) -> float:
        return statistics.median(s.p99_ms for s in self.samples)

    @property
    def cpu(self) -> float:
        return statistics.median(s.cpu_ms for s in self.samples)

    @property
    def problems(self) -> str:
        return "; ".join(s.problems for s in self.samples if s.problems)


def ensure_wrk() -> str:
    """The wrk binary, installed from Debian's package when missing and allowed."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is missing: apt-get install wrk")
        subprocess.run(
            ["apt-get", "install", "-y", "--no-install-recommends", "wrk"],
            check=False,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
        found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is not installed: run `apt-get install wrk` as root.")
    return found


def _milliseconds(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match[1]) * _UNITS_MS[match[2]]


def parse_wrk(output: str) -> tuple[float, float, float, int, str]:
    """Requests/s, p50 and p99 in ms, the request count and any problems, from
    the output of `wrk --latency`."""
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M)
    count = re.search(r"^\s+(\d+) requests in", output, re.M)
    if not (rps and p50 and p99 and count):
        raise ValueError(f"unexpected wrk output:\n{output}")
    problems = []
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if errors and any(int(n) for n in errors.groups()):
        problems.append(errors[0])
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if bad:
        problems.append(bad[0])
    return (
        float(rps[1]),
        _milliseconds(p50[1]),
        _milliseconds(p99[1]),
        int(count[1]),
        ", ".join(problems),
    )


def _processes() -> dict[int, tuple[int, float]]:
    """Every process's parent and user + system CPU seconds."""
    found: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # ended meanwhile
        fields = stat[stat.rindex(")") + 2 :].split()
        found[int(entry.name)] = (
            int(fields[1]),
            (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS,
        )
    return found


def process_tree(roots: Sequence[int], processes: dict | None = None) -> set[int]:
    """The processes `roots` and all their descendants."""
    parents = {pid: parent for pid, (parent, _) in (processes or _processes()).items()}
    wanted = set(roots)
    grew = True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in wanted} - wanted
        grew = bool(more)
        wanted |= more
    return wanted


def cpu_seconds(roots: Sequence[int]) -> float:
    """User + system CPU time of the processes `roots` and all their descendants."""
    processes = _processes()
    return sum(processes[pid][1] for pid in process_tree(roots, processes) if pid in processes)


def settle(roots: Sequence[int], seconds: float = 60) -> None:
    """Wait until the servers are idle: a server still works through
    requests wrk gave up on, and that time must not count against the next
    target."""
    deadline = time.monotonic() + seconds
    last = cpu_seconds(roots)
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = cpu_seconds(roots)
        if now - last < 0.02:  # under 8% of one core
            return
        last = now


@dataclass
class Load:
    """How hard and how long wrk drives each target."""

    threads: int = 2
    connections: int = 32
    duration: int = 10
    rounds: int = 3
    warm_up: int = 2

    def describe(self) -> str:
        return (
            f"wrk -t{self.threads} -c{self.connections} -d{self.duration}s --latency, "
            f"{self.rounds} round(s), targets interleaved, {self.warm_up} s warm-up each"
        )

    def _wrk(self, target: Target, seconds: int) -> str:
        command = [ensure_wrk(), f"-t{self.threads}", f"-c{self.connections}", f"-d{seconds}s"]
        command += ["--latency", "--timeout", "5s"]
        for name, value in {**BROWSER, **target.headers}.items():
            command += ["-H", f"{name}: {value}"]
        result = subprocess.run([*command, target.url], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise SystemExit(f"wrk failed on {target.url}:\n{result.stderr or result.stdout}")
        return result.stdout

    def sample(self, target: Target) -> Sample:
        roots = target.processes()
        settle(roots)
        before = cpu_seconds(roots)
        output = self._wrk(target, self.duration)
        spent = cpu_seconds(roots) - before
        rps, p50, p99, count, problems = parse_wrk(output)
        cpu = spent * 1000 / count if count else float("nan")
        if not count:
            problems = ", ".join(filter(None, [problems, "no request answered"]))
        return Sample(rps, p50, p99, count, cpu, problems)

    def run(self, targets: Sequence[Target]) -> list[Summary]:
        """Warm every target up, then `rounds` rounds of all targets in turn."""
        if self.warm_up:
            for target in targets:
                self._wrk(target, self.warm_up)
        summaries = [Summary(target, []) for target in targets]
        for number in range(1, self.rounds + 1):
            for summary in summaries:
                sample = self.sample(summary.target)
                summary.samples.append(sample)
                print(
                    f"  round {number}  {summary.target.name:<24}"
                    f"{sample.requests_per_second:>9.1f} req/s  p50 {sample.p50_ms:6.1f} ms"
                    f"  p99 {sample.p99_ms:6.1f} ms  cpu {sample.cpu_ms:5.2f} ms/req"
                    + (f"  [{sample.problems}]" if sample.problems else ""),
                    flush=True,
                )
        return summaries


def print_table(summaries: Sequence[Summary], static: dict[str, str]) -> None:
    """Medians over the rounds, each page's ratio to the static file of its
    server (`static` maps a server to its static target's name)."""
    named = by_name(summaries)
    print(
        f"\n{'target (median of rounds)':<28}{'req/s':>9}{'p50 ms':>8}{'p99 ms':>8}"
        f"{'cpu ms/req':>11}{'× static':>10}"
    )
    for summary in summaries:
        baseline = named.get(static.get(summary.target.server, ""))
        ratio = ratio_of(summary, baseline)
        print(
            f"{summary.target.name:<28}{summary.rps:>9.1f}{summary.p50:>8.1f}{summary.p99:>8.1f}"
            f"{summary.cpu:>11.2f}{ratio:>10.3f}"
            + (f"  problems: {summary.problems}" if summary.problems else "")
        )
        print(f"{'':<28}{summary.target.url}")


def goal(description: str, value: float, limit: float, *, at_least: bool) -> bool:
    """Print whether `value` reaches `limit` (from above or below); True if it does."""
    met = value >= limit if at_least else value <= limit
    sign = "≥" if at_least else "≤"
    print(f"{'MET   ' if met else 'MISSED'}  {description}: {value:.2f} (goal {sign} {limit:g})")
    return met


def ratio_of(summary: Summary | None, baseline: Summary | None) -> float:
    if summary is None or baseline is None or not baseline.rps:
        return float("nan")
    return summary.rps / baseline.rps


def by_name(summaries: Sequence[Summary]) -> dict[str, Summary]:
    return {s.target.name: s for s in summaries}


def no_problems(summaries: Sequence[Summary]) -> bool:
    """Print the targets whose runs had errors (their figures mean little)."""
    bad = [s for s in summaries if s.problems]
    for summary in bad:
        print(f"ERRORS  {summary.target.name}: {summary.problems}")
    return not bad
