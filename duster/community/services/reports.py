"""Reports: a reader (member or guest) reports a work, a comment or a user;
admins work through the queue (duster.community.admin)."""

import datetime as dt

from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from duster.accounts.models import User
from duster.community.choices import ReportState
from duster.community.models import REPORT_MAX, Report

# At most this many reports an hour from one member, one email address or
# one network address: enough for anyone reporting in good faith.
REPORTS_PER_HOUR = 10
HOUR = dt.timedelta(hours=1)


def report_subject(*, work=None, comment=None, reported_user=None) -> str:
    """What is reported, in words kept when the object goes."""
    if comment is not None:
        return f"Comment {comment.pk} on Work {comment.work_id}"
    if work is not None:
        return f"Work {work.pk}: {work.title}"[:300]
    if reported_user is not None:
        return f"User {reported_user.username}"
    raise ValidationError("Say what you are reporting.")


def _address_cache_key(address: str) -> str:
    return f"reports:address:{address}"


def _rate_limited(*, reporter, reporter_email: str, address: str) -> None:
    since = timezone.now() - HOUR
    if reporter is not None:
        recent = Q(reporter=reporter)
        # Two requests of one member must not both pass the count.
        User.objects.select_for_update().filter(pk=reporter.pk).first()
    else:
        recent = Q(reporter__isnull=True, reporter_email__iexact=reporter_email)
    over = Report.objects.filter(recent, created_at__gte=since).count() >= REPORTS_PER_HOUR
    if not over and address and reporter is None:
        over = (caches["default"].get(_address_cache_key(address)) or 0) >= REPORTS_PER_HOUR
    if over:
        raise ValidationError(
            f"You have sent {REPORTS_PER_HOUR} reports in the last hour: please wait a "
            "while before sending another. Your text is kept below."
        )


def _address_count(address: str) -> None:
    cache = caches["default"]
    key = _address_cache_key(address)
    if cache.add(key, 1, int(HOUR.total_seconds())):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired in between
        cache.add(key, 1, int(HOUR.total_seconds()))


def report_file(
    *,
    reporter=None,
    reporter_email: str = "",
    work=None,
    comment=None,
    reported_user=None,
    reason: str,
    address: str = "",
) -> Report:
    """File a report of one work, comment or user. A member reports as
    themselves; a guest gives an email address (for the admins' answer).
    `address` (the guest's network address) counts toward the hourly limit."""
    if reporter is not None and not reporter.is_authenticated:
        reporter = None
    errors: dict[str, list[str]] = {}
    reason = (reason or "").strip()
    reporter_email = (reporter_email or "").strip()
    if not reason:
        errors["reason"] = ["Tell the admins what is wrong, please."]
    elif len(reason) > REPORT_MAX:
        errors["reason"] = [
            f"This is too long: at most {REPORT_MAX:,} characters, please (it has {len(reason):,})."
        ]
    if reporter is None:
        if not reporter_email:
            errors["reporter_email"] = ["Give an email address, so the admins can answer you."]
        else:
            try:
                validate_email(reporter_email)
            except ValidationError:
                errors["reporter_email"] = ["That does not look like an email address."]
    else:
        reporter_email = ""
    if reporter is not None and reported_user is not None and reported_user.pk == reporter.pk:
        errors["__all__"] = ["You cannot report yourself."]
    if sum(x is not None for x in (work, comment, reported_user)) != 1:
        errors["__all__"] = ["Report one work, one comment or one user."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        _rate_limited(reporter=reporter, reporter_email=reporter_email, address=address)
        report = Report(
            reporter=reporter,
            reporter_email=reporter_email,
            work=work if comment is None else comment.work,
            comment=comment,
            reported_user=reported_user,
            subject=report_subject(work=work, comment=comment, reported_user=reported_user),
            reason=reason,
            state=ReportState.OPEN,
        )
        report.full_clean()
        report.save()
    if address and reporter is None:
        _address_count(address)
    return report


@transaction.atomic
def reports_resolve(*, reports, by, state: str = ReportState.RESOLVED) -> int:
    """Close open reports as resolved or dismissed: how many were closed."""
    if state not in (ReportState.RESOLVED, ReportState.DISMISSED):
        raise ValidationError("A report is closed as resolved or dismissed.")
    return reports.filter(state=ReportState.OPEN).update(
        state=state, resolved_at=timezone.now(), resolved_by=by
    )
