"""Cached guest pages follow every change a reader could see.

Each receiver names the works whose own pages show the changed row (see
duster.lib.pagecache: a work's pages depend on that work, every other page
on all works). Whatever made the change, a service, the admin, a management
command or a task, saves or deletes rows, and these run. Writes that send no
signals are covered twice over:

- `QuerySet.update()` callers that change what a work page shows go through
  `works_touch` (series order, pseud renames), which says which works changed;
- every INSERT, UPDATE or DELETE on a table of the works, tags or accounts
  apps (bulk_create, bulk_update, update() included) bumps the lists, so a
  list, tag, creator or series page is never stale whatever wrote the rows.
"""

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction
from django.db.backends.signals import connection_created
from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save
from django.dispatch import Signal

from duster.accounts.models import Pseud, User
from duster.lib.pagecache import pages_changed
from duster.tags.models import Tag
from duster.works.models import Chapter, Creatorship, Series, SeriesEntry, Work, WorkTag

# Sent with `work_ids` whenever what a reader could find those works by
# changed (their text, tags, credits, counts, state): the search follows it.
# `text=False` when only counts changed.
works_changed = Signal()

# Sent once a posting commits, so other apps (the community's subscriptions)
# can follow without the works app knowing them: `work_posted` with `work` when
# a work is posted, `chapter_posted` with `chapter` when a chapter of a posted
# work is, `series_work_added` with `series` and `work` when a work joins a
# series. Receivers may run a query or enqueue a task, nothing slow; one that
# fails is logged, not the writer's error (their work is saved by then).
work_posted = Signal()
chapter_posted = Signal()
series_work_added = Signal()

# Inside `postings_unannounced()` those three are not sent: an archive import
# brings in works posted long ago, which no subscriber should hear of as new.
_unannounced: ContextVar[bool] = ContextVar("postings_unannounced", default=False)


@contextmanager
def postings_unannounced() -> Iterator[None]:
    token = _unannounced.set(True)
    try:
        yield
    finally:
        _unannounced.reset(token)


def announce_on_commit(signal: Signal, sender: type[Model], **kwargs) -> None:
    """Send a posting signal once the writer's transaction commits (unless unannounced)."""
    if _unannounced.get():
        return
    transaction.on_commit(lambda: signal.send(sender=sender, **kwargs), robust=True)


def _changed(*, work_ids, lists: bool = True, everything: bool = False) -> None:
    work_ids = set(work_ids)
    pages_changed(work_ids=work_ids, lists=lists, everything=everything)
    if work_ids or everything:
        # None: which works is not known any more (all are looked at again).
        works_changed.send(sender=None, work_ids=None if everything else work_ids, text=True)


# Fields of a user no guest page shows: saving only these changes no page.
USER_FIELDS_UNSHOWN = {
    "last_login",
    "password",
    "email",
    "view_adult",
    "time_zone",
    "notification_email",
    "history_enabled",
}


def _series_mates(series_ids) -> set[int]:
    """Works in these series: their pages name their neighbours."""
    return set(
        SeriesEntry.objects.filter(series_id__in=series_ids).values_list("work_id", flat=True)
    )


def _work_changed(sender, instance: Work, created: bool = False, **kwargs) -> None:
    if created:  # in no series yet
        _changed(work_ids={instance.pk})
        return
    series = SeriesEntry.objects.filter(work_id=instance.pk).values("series_id")
    _changed(work_ids={instance.pk} | _series_mates(series))


def _part_of_work_changed(sender, instance: Chapter | WorkTag, **kwargs) -> None:
    _changed(work_ids=[instance.work_id])


def _tags_of_work_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    if not action.startswith("post_"):
        return
    if not reverse:
        _changed(work_ids=[instance.pk])
    elif pk_set:
        _changed(work_ids=pk_set)
    else:  # a tag's works cleared: they are gone from the table already
        _changed(work_ids=(), everything=True)


def _tag_changed(sender, instance: Tag, created: bool = False, **kwargs) -> None:
    works = (
        () if created else WorkTag.objects.filter(tag=instance).values_list("work_id", flat=True)
    )
    _changed(work_ids=set(works))


def _credit_changed(sender, instance: Creatorship, **kwargs) -> None:
    if instance.work_id is not None:
        _changed(work_ids=[instance.work_id])
    else:
        _changed(work_ids=())


def _series_changed(sender, instance: Series, **kwargs) -> None:
    _changed(work_ids=_series_mates([instance.pk]))


def _series_entry_changed(sender, instance: SeriesEntry, **kwargs) -> None:
    _changed(work_ids={instance.work_id} | _series_mates([instance.series_id]))


def _credited_works(pseuds) -> set[int]:
    credits = Creatorship.objects.filter(pseud__in=pseuds, work__isnull=False)
    return set(credits.values_list("work_id", flat=True))


def _pseud_changed(sender, instance: Pseud, created: bool = False, **kwargs) -> None:
    _changed(work_ids=() if created else _credited_works([instance.pk]))


def _user_changed(sender, instance: User, created: bool = False, update_fields=None, **kwargs):
    if update_fields is not None and set(update_fields) <= USER_FIELDS_UNSHOWN:
        return
    pseuds = Pseud.objects.filter(user=instance).values("pk")
    _changed(work_ids=() if created else _credited_works(pseuds))


def _everything_changed(**kwargs) -> None:
    # A deploy: templates and code may render every page differently now.
    pages_changed(everything=True)


# --- Writes that send no signal ----------------------------------------------------------------

WRITE = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
SET_COLUMNS = re.compile(r'"(\w+)"\s*=')
SHOWN_TABLES = ("works_", "tags_", "accounts_")
UNSHOWN_TABLES = {"accounts_throttle"}
# Columns counted without a page change (hits: see duster.lib.pagecache).
UNSHOWN_COLUMNS = {"works_work": {"hits"}, "accounts_user": USER_FIELDS_UNSHOWN}


def _lists_follow_writes(execute, sql, params, many, context):
    result = execute(sql, params, many, context)
    match = WRITE.match(sql)
    if match is None:
        return result
    table = match.group(1).lower()
    if not table.startswith(SHOWN_TABLES) or table in UNSHOWN_TABLES:
        return result
    unshown = UNSHOWN_COLUMNS.get(table)
    if unshown and sql.lstrip()[:6].upper() == "UPDATE":
        set_clause = sql.upper().split(" WHERE ", 1)[0]
        columns = {c.lower() for c in SET_COLUMNS.findall(set_clause)}
        if columns and columns <= unshown:
            return result
    pages_changed(lists=True, using=context["connection"].alias)
    return result


def _watch_writes(sender, connection, **kwargs) -> None:
    if _lists_follow_writes not in connection.execute_wrappers:
        connection.execute_wrappers.append(_lists_follow_writes)


def connect() -> None:
    """Called from WorksConfig.ready."""
    receivers: list[tuple[type[Model], Callable[..., None]]] = [
        (Work, _work_changed),
        (Chapter, _part_of_work_changed),
        (WorkTag, _part_of_work_changed),
        (Tag, _tag_changed),
        (Creatorship, _credit_changed),
        (Series, _series_changed),
        (SeriesEntry, _series_entry_changed),
        (Pseud, _pseud_changed),
        (User, _user_changed),
    ]
    for model, receiver in receivers:
        post_save.connect(receiver, sender=model, dispatch_uid=f"pagecache-save-{model.__name__}")
        post_delete.connect(
            receiver, sender=model, dispatch_uid=f"pagecache-delete-{model.__name__}"
        )
    m2m_changed.connect(_tags_of_work_changed, sender=Work.tags.through, dispatch_uid="pagecache")
    post_migrate.connect(_everything_changed, dispatch_uid="pagecache-migrate")
    connection_created.connect(_watch_writes, dispatch_uid="pagecache-writes")
