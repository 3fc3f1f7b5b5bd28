"""Keeping the search current whatever changed a work.

`duster.works.signals.works_changed` names the works whose findable parts
changed (services, the admin, commands and tasks all save through models or
send it). For those works, in the writer's transaction:

- a `SearchChange` row each, which every process's filter index follows
  (duster.search.index), so all of them see the change on their next search;
- once the transaction commits, their text is indexed again: at once for the
  few works a post or an edit changes, by a background task for more (a
  wrangler's merge), so posting stays quick.
"""

import datetime as dt
import random

from django.db import transaction
from django.db.models.signals import post_migrate
from django.tasks import task
from django.utils import timezone

from duster.search.models import SearchChange

# More works than this are re-indexed by a task, not in the request.
TEXT_INLINE_MAX = 20
# How long the change log keeps rows (processes idle longer start over:
# duster.search.index.IDLE_SECONDS), and how often a write prunes it.
LOG_KEPT = dt.timedelta(days=1)
PRUNE_ONE_IN = 500


def works_changed(sender=None, *, work_ids, text: bool = True, **kwargs) -> None:
    if work_ids is None:
        SearchChange.objects.create(work_id=None)
        if text:
            transaction.on_commit(search_text_rebuild.enqueue)
        return
    work_ids = sorted(set(work_ids))
    SearchChange.objects.bulk_create([SearchChange(work_id=pk) for pk in work_ids])
    if random.randrange(PRUNE_ONE_IN) == 0:  # noqa: S311  (not a secret)
        SearchChange.objects.filter(created_at__lt=timezone.now() - LOG_KEPT).delete()
    if text:
        _text_after_commit(work_ids)


class _TextOnCommit:
    """The works of one transaction whose text is indexed once it commits."""

    def __init__(self) -> None:
        self.work_ids: set[int] = set()
        self.done = False

    def __call__(self) -> None:
        self.done = True
        work_ids = sorted(self.work_ids)
        if len(work_ids) <= TEXT_INLINE_MAX:
            from duster.search.text import text_index_refresh

            text_index_refresh(work_ids)
        else:
            search_text_refresh.enqueue(work_ids=work_ids)


def _text_after_commit(work_ids: list[int]) -> None:
    connection = transaction.get_connection()
    pending = None
    if connection.in_atomic_block:
        pending = next(
            (
                f
                for _, f, _ in connection.run_on_commit
                if isinstance(f, _TextOnCommit) and not f.done
            ),
            None,
        )
    if pending is None:
        pending = _TextOnCommit()
        pending.work_ids.update(work_ids)
        # Robust: the writer's change is committed; a failure here is logged
        # (and mended by the next change or rebuild_search_index), not theirs.
        transaction.on_commit(pending, robust=True)
    else:
        pending.work_ids.update(work_ids)


@task()
def search_text_refresh(*, work_ids: list[int]) -> None:
    from duster.search.text import text_index_refresh

    for start in range(0, len(work_ids), 500):
        text_index_refresh(work_ids[start : start + 500])


@task()
def search_text_rebuild() -> None:
    from duster.search.text import text_index_rebuild

    text_index_rebuild()


def _after_migrate(sender, **kwargs) -> None:
    """After migrate or flush (which empties the works but not the text
    index, not a model's table): forget the text of works that are gone."""
    from duster.search.text import text_index_forget_gone

    text_index_forget_gone()


def connect(app_config) -> None:
    """Called from SearchConfig.ready."""
    from duster.works.signals import works_changed as sent

    sent.connect(works_changed, dispatch_uid="search-upkeep")
    post_migrate.connect(_after_migrate, sender=app_config, dispatch_uid="search-forget-gone")
