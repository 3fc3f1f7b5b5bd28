"""Limits on failed logins and on mail sent at a visitor's request.

Counts live in the Throttle table (see its docstring for why not the cache).
Every change happens under a row lock, so parallel requests cannot slip more
attempts through than the limits allow."""

import datetime as dt
import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from duster.accounts.models import Throttle

Scope = Throttle.Scope
DAY = dt.timedelta(days=1)


class Throttled(Exception):
    """Refused: try again once `wait` has passed. `daily` says a day's
    allowance is spent (rather than the last attempt being too recent)."""

    def __init__(self, wait: dt.timedelta, *, daily: bool = False):
        super().__init__(f"refused for {wait}")
        self.wait = wait
        self.daily = daily


def wait_text(wait: dt.timedelta) -> str:
    """ "45 seconds", "12 minutes", "3 hours": rounded up, never "0"."""
    seconds = max(1, math.ceil(wait.total_seconds()))
    if seconds < 60:
        number, unit = seconds, "second"
    elif seconds <= 2 * 60 * 60:
        number, unit = math.ceil(seconds / 60), "minute"
    else:
        number, unit = math.ceil(seconds / 3600), "hour"
    return f"{number} {unit}{'' if number == 1 else 's'}"


def _key(value: str) -> str:
    return value if len(value) <= 64 else hashlib.sha256(value.encode()).hexdigest()


def account_key(username: str) -> str:
    return _key(username.lower())


def _locked_row(scope: str, key: str, now: dt.datetime) -> Throttle:
    row, created = Throttle.objects.select_for_update().get_or_create(
        scope=scope, key=key, defaults={"first_at": now, "last_at": now}
    )
    if created:
        # Housekeeping while a row is added: nothing older than this counts.
        kept = max(dt.timedelta(hours=settings.LOGIN_FAILURES_KEPT_HOURS), DAY)
        Throttle.objects.filter(last_at__lt=now - kept).delete()
    return row


# --- Failed logins ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _LoginRule:
    scope: str
    free: int
    lockout: int

    def wait_after(self, failures: int) -> dt.timedelta:
        """How long the next attempt waits after `failures` failures in a row."""
        lock = dt.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
        if failures < self.free:
            return dt.timedelta(0)
        if failures >= self.lockout:
            return lock
        doublings = min(failures - self.free, 40)
        return min(dt.timedelta(seconds=settings.LOGIN_BACKOFF_SECONDS * 2**doublings), lock)


def _login_rules() -> dict[str, _LoginRule]:
    return {
        Scope.LOGIN_ACCOUNT: _LoginRule(
            Scope.LOGIN_ACCOUNT, settings.LOGIN_FREE_FAILURES, settings.LOGIN_LOCKOUT_FAILURES
        ),
        Scope.LOGIN_ADDRESS: _LoginRule(
            Scope.LOGIN_ADDRESS,
            settings.LOGIN_ADDRESS_FREE_FAILURES,
            settings.LOGIN_ADDRESS_LOCKOUT_FAILURES,
        ),
    }


@dataclass(frozen=True)
class LoginAttempt:
    """A login attempt let through and counted (as a failure until it succeeds)."""

    account_key: str
    address_key: str | None
    failures: int  # the account's failures in a row, this attempt included


def _forgotten(row: Throttle, now: dt.datetime) -> bool:
    return row.last_at < now - dt.timedelta(hours=settings.LOGIN_FAILURES_KEPT_HOURS)


def _refuse_if_waiting(rows: list[Throttle], now: dt.datetime) -> None:
    rules = _login_rules()
    # Only a count that calls for a wait refuses: a parallel attempt that
    # touched the row after `now` was read must not turn "no wait" into one.
    waits = [
        (row.last_at + wait - now)
        for row in rows
        if not _forgotten(row, now) and (wait := rules[row.scope].wait_after(row.count))
    ]
    wait = max(waits, default=dt.timedelta(0))
    if wait > dt.timedelta(0):
        raise Throttled(wait)


def login_attempt_begin(*, username: str, address: str | None) -> LoginAttempt:
    """Let an attempt through, or raise Throttled while the account or the
    address must wait. A refused attempt checks no password and counts
    nothing: it cannot learn anything, and it does not keep a lockout going.
    One let through counts as a failure at once, so that parallel attempts
    cannot all pass before any is counted; login_attempt_succeeded takes it
    back."""
    keys = [(Scope.LOGIN_ACCOUNT, account_key(username))]
    if address:
        keys.append((Scope.LOGIN_ADDRESS, _key(address)))
    now = timezone.now()
    # A look without locks first: refusals (most of a flood) write nothing.
    wanted = Q()
    for scope, key in keys:
        wanted |= Q(scope=scope, key=key)
    _refuse_if_waiting(list(Throttle.objects.filter(wanted)), now)
    with transaction.atomic():
        rows = [_locked_row(scope, key, now) for scope, key in keys]
        _refuse_if_waiting(rows, now)
        for row in rows:
            if _forgotten(row, now):
                row.count, row.first_at, row.notified_at = 0, now, None
            row.count += 1
            row.last_at = now
            row.save()
    return LoginAttempt(
        account_key=keys[0][1],
        address_key=keys[1][1] if address else None,
        failures=rows[0].count,
    )


@transaction.atomic
def login_attempt_succeeded(*, attempt: LoginAttempt) -> None:
    """The right password: the account's count starts again; the address
    gets back the attempt it was charged (others from there still count)."""
    Throttle.objects.filter(scope=Scope.LOGIN_ACCOUNT, key=attempt.account_key).delete()
    if attempt.address_key:
        Throttle.objects.filter(
            scope=Scope.LOGIN_ADDRESS, key=attempt.address_key, count__gt=0
        ).update(count=F("count") - 1)


def login_attempt_failed(*, attempt: LoginAttempt) -> bool:
    """A wrong password (already counted). True when this failure locked the
    account and its owner has not been told yet: the caller tells them. The
    claim is one conditional UPDATE, so parallel failures mail only once."""
    if attempt.failures < settings.LOGIN_LOCKOUT_FAILURES:
        return False
    now = timezone.now()
    told_recently = Q(notified_at__gte=now - dt.timedelta(hours=settings.LOGIN_FAILURES_KEPT_HOURS))
    claimed = (
        Throttle.objects.filter(scope=Scope.LOGIN_ACCOUNT, key=attempt.account_key)
        .exclude(told_recently)
        .update(notified_at=now)
    )
    return claimed == 1


def login_failures_clear(*, username: str) -> None:
    """The owner proved who they are another way (a password reset)."""
    Throttle.objects.filter(scope=Scope.LOGIN_ACCOUNT, key=account_key(username)).delete()


# --- Mail sent at a visitor's request ----------------------------------------------------------


def allowance_take(*, spends: Sequence[tuple[str, str, int | None]]) -> None:
    """Spend one mail from each (scope, key, per_day) allowance, or raise
    Throttled and spend none. Each allows one mail per
    ACCOUNT_MAIL_INTERVAL_SECONDS and at most per_day (None: no daily cap)
    in the day since its first one."""
    interval = dt.timedelta(seconds=settings.ACCOUNT_MAIL_INTERVAL_SECONDS)
    with transaction.atomic():
        now = timezone.now()
        for scope, key, per_day in spends:
            row = _locked_row(scope, _key(key), now)
            if row.count and now < row.last_at + interval:
                raise Throttled(row.last_at + interval - now)
            new_day = row.first_at <= now - DAY
            if not new_day and per_day is not None and row.count >= per_day:
                raise Throttled(row.first_at + DAY - now, daily=True)
            if new_day or row.count == 0:
                row.count, row.first_at = 0, now
            row.count += 1
            row.last_at = now
            row.save()
