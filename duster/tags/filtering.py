"""A work's filter tags: the canonical forms of its tags (a synonym counts as
its canonical tag, an unwrangled tag as itself) plus all their meta tags,
transitively, plus its fixed rating, warning and category tags. Stored as
`FilterTagging` rows that search and tag pages read.

They are kept right on every write: the work services call
`work_filter_tags_refresh`, and wrangling calls `refilter_tags` after every
change to the graph (merge, un-merge, meta tags, …). A change that touches
many works runs as a task in batches; each batch is idempotent and commits
with the job's progress, so a job cut short is finished by running it again
(`refilter_resume`).
"""

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from duster.tags.fixed import fixed_tags
from duster.tags.models import FilterTagging, MetaTagging, RefilterJob, Tag, TagType

log = logging.getLogger(__name__)

# The most works a graph change re-filters inline, in the wrangler's request;
# more go to a background task.
INLINE_MAX = 2000
BATCH_SIZE = 1000
# No meta chain is deeper than this; a cycle (refused on write) cannot loop.
MAX_DEPTH = 100


def _inline_max() -> int:
    return getattr(settings, "TAG_REFILTER_INLINE_MAX", INLINE_MAX)


def _batch_size() -> int:
    return getattr(settings, "TAG_REFILTER_BATCH_SIZE", BATCH_SIZE)


# The graph


def meta_ancestors(tag_ids: Iterable[int]) -> dict[int, set[int]]:
    """Each tag's meta tags, transitively: one query per level of the graph."""
    edges: dict[int, set[int]] = {}
    frontier = set(tag_ids)
    seen = set(frontier)
    for _depth in range(MAX_DEPTH):
        if not frontier:
            break
        rows = MetaTagging.objects.filter(sub_id__in=frontier).values_list("sub_id", "meta_id")
        frontier = set()
        for sub_id, meta_id in rows:
            edges.setdefault(sub_id, set()).add(meta_id)
            if meta_id not in seen:
                seen.add(meta_id)
                frontier.add(meta_id)
    closure: dict[int, set[int]] = {}
    for start in set(tag_ids):
        found: set[int] = set()
        stack = list(edges.get(start, ()))
        while stack:
            tag_id = stack.pop()
            if tag_id in found or tag_id == start:
                continue
            found.add(tag_id)
            stack.extend(edges.get(tag_id, ()))
        closure[start] = found
    return closure


def sub_tag_scope(tag_ids: Iterable[int]) -> set[int]:
    """`tag_ids` with their synonyms and sub tags, transitively, and the sub
    tags' synonyms: every tag whose works find these tags among their filter tags."""
    scope = set(tag_ids)
    frontier = set(scope)
    for _depth in range(MAX_DEPTH):
        if not frontier:
            break
        subs = MetaTagging.objects.filter(meta_id__in=frontier).values_list("sub_id", flat=True)
        synonyms = Tag.objects.filter(merger_id__in=frontier).values_list("pk", flat=True)
        frontier = (set(subs) | set(synonyms)) - scope
        scope |= frontier
    return scope


def meta_cycle_check(sub: Tag, meta: Tag) -> None:
    """Refuse making `meta` a meta tag of `sub` when they differ in type or
    when `meta` already sits under `sub` (which would make a cycle); the
    message names the chain."""
    if sub.pk == meta.pk:
        raise ValidationError(f"“{sub.name}” can't be a meta tag of itself.", code="cycle")
    if sub.type != meta.type:
        raise ValidationError(
            f"A meta tag must be of the same type: “{sub.name}” is a "
            f"{sub.get_type_display().lower()} tag, “{meta.name}” a "
            f"{meta.get_type_display().lower()} tag.",
            code="type",
        )
    # Walk up from `meta`; reaching `sub` means sub is already above meta.
    came_from: dict[int, int] = {}
    frontier = {meta.pk}
    for _depth in range(MAX_DEPTH):
        if not frontier:
            return
        rows = MetaTagging.objects.filter(sub_id__in=frontier).values_list("sub_id", "meta_id")
        frontier = set()
        for below, above in rows:
            if above in came_from or above == meta.pk:
                continue
            came_from[above] = below
            frontier.add(above)
        if sub.pk in came_from:
            chain = [sub.pk]
            while chain[-1] != meta.pk:
                chain.append(came_from[chain[-1]])
            names = dict(Tag.objects.filter(pk__in=chain).values_list("pk", "name"))
            path = " → ".join(f"“{names[pk]}”" for pk in [sub.pk, *reversed(chain)])
            raise ValidationError(
                f"“{meta.name}” can't be a meta tag of “{sub.name}”: “{sub.name}” is already "
                f"above it, and that would make a cycle: {path}.",
                code="cycle",
            )


# Computing and writing filter tags


def filter_tag_ids(work_ids: Iterable[int]) -> dict[int, set[int]]:
    """What each work's filter tags should be, from its tags, the graph and
    its rating: a fixed number of queries plus one per level of meta tags."""
    from duster.works.models import Work, WorkTag

    work_ids = list(work_ids)
    wanted: dict[int, set[int]] = {work_id: set() for work_id in work_ids}
    if not work_ids:
        return wanted
    rows = WorkTag.objects.filter(work_id__in=work_ids).values_list(
        "work_id", "tag_id", "tag__merger_id"
    )
    for work_id, tag_id, merger_id in rows:
        wanted[work_id].add(merger_id or tag_id)
    ancestors = meta_ancestors(set().union(*wanted.values()))
    ratings = fixed_tags()[TagType.RATING]
    for work_id, rating in Work.objects.filter(pk__in=work_ids).values_list("pk", "rating"):
        tags = wanted[work_id]
        for tag_id in list(tags):
            tags |= ancestors.get(tag_id, set())
        if rating in ratings:
            tags.add(ratings[rating].pk)
    return wanted


def _write(wanted: dict[int, set[int]]) -> int:
    """Make the works' FilterTagging rows exactly `wanted`; how many rows changed."""
    stale = []
    stale_works = set()
    have: dict[int, set[int]] = {work_id: set() for work_id in wanted}
    rows = FilterTagging.objects.filter(work_id__in=list(wanted)).values_list(
        "pk", "work_id", "tag_id"
    )
    for pk, work_id, tag_id in rows:
        if tag_id in wanted[work_id]:
            have[work_id].add(tag_id)
        else:
            stale.append(pk)
            stale_works.add(work_id)
    for start in range(0, len(stale), 5000):
        FilterTagging.objects.filter(pk__in=stale[start : start + 5000]).delete()
    missing = {work_id: tags - have[work_id] for work_id, tags in wanted.items()}
    types = dict(
        Tag.objects.filter(pk__in=set().union(*missing.values())).values_list("pk", "type")
    )
    new = [
        FilterTagging(work_id=work_id, tag_id=tag_id, tag_type=types[tag_id])
        for work_id, tags in missing.items()
        for tag_id in tags
    ]
    FilterTagging.objects.bulk_create(new, batch_size=2000, ignore_conflicts=True)
    if stale or new:
        from duster.works.signals import works_changed

        changed = stale_works | {work_id for work_id, tags in missing.items() if tags}
        works_changed.send(sender=None, work_ids=changed, text=True)
    return len(stale) + len(new)


@transaction.atomic
def work_filter_tags_refresh(*, work_ids: Iterable[int]) -> None:
    """Recompute the filter tags of these works from their tags and the graph
    as it is now. The works' rows are locked first, so two refreshes of one
    work (a wrangler's change and an edit) write one after the other, each
    reading the graph as the other left it."""
    from duster.works.models import Work

    ids = sorted(set(work_ids))
    for start in range(0, len(ids), _batch_size()):
        chunk = ids[start : start + _batch_size()]
        locked = list(
            Work.objects.select_for_update()
            .filter(pk__in=chunk)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        _write(filter_tag_ids(locked))


# Re-filtering after a change to the graph


def _affected_works(tag_ids: list[int], scope: set[int]):
    """Works whose filter tags include one of `tag_ids` now, or whose tags
    are in `scope` (what they should include after the change)."""
    from duster.works.models import Work, WorkTag

    before = FilterTagging.objects.filter(tag_id__in=tag_ids).values("work_id")
    after = WorkTag.objects.filter(tag_id__in=scope).values("work_id")
    return Work.objects.filter(Q(pk__in=before) | Q(pk__in=after))


def refilter_tags(*, tag_ids: Iterable[int], reason: str) -> RefilterJob | None:
    """Recompute the filter tags of every work a change to these tags touched:
    works that carry them, their synonyms or sub tags, and works that had them
    as filter tags. Call it after the change, inside the same transaction.
    Up to TAG_REFILTER_INLINE_MAX works are done at once (returns None);
    more become a RefilterJob run by a task once the change is committed."""
    ids = sorted(set(tag_ids))
    if not ids:
        return None
    scope = sub_tag_scope(ids)
    works = _affected_works(ids, scope)
    total = works.count()
    if total == 0:
        return None
    if total <= _inline_max():
        work_filter_tags_refresh(work_ids=works.values_list("pk", flat=True))
        return None
    job = RefilterJob.objects.create(reason=reason[:200], tag_ids=ids, total=total)
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    from duster.tags.tasks import refilter_run

    refilter_run.enqueue(job_id)


def _next_batch(job: RefilterJob, scope: set[int], size: int) -> list[int]:
    """The next `size` affected works after the job's last one, in id order."""
    from duster.works.models import WorkTag

    after = job.last_work_id
    before = (
        FilterTagging.objects.filter(tag_id__in=job.tag_ids, work_id__gt=after)
        .order_by("work_id")
        .values_list("work_id", flat=True)
        .distinct()[:size]
    )
    carried = (
        WorkTag.objects.filter(tag_id__in=scope, work_id__gt=after)
        .order_by("work_id")
        .values_list("work_id", flat=True)
        .distinct()[:size]
    )
    return sorted(set(before) | set(carried))[:size]


def refilter_job_batch(*, job_id: int, scope: set[int] | None = None) -> bool:
    """Run one batch of the job and commit it with the job's progress; False
    once the job is finished. Safe to run twice, and from two workers: the job
    row is locked for the batch, and a batch only makes rows what they should be."""
    with transaction.atomic():
        job = RefilterJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.finished_at is not None:
            return False
        if scope is None:
            scope = sub_tag_scope(job.tag_ids)
        batch = _next_batch(job, scope, _batch_size())
        if batch:
            work_filter_tags_refresh(work_ids=batch)
            job.done = min(job.total, job.done + len(batch)) if job.total else job.done
            job.last_work_id = batch[-1]
        if len(batch) < _batch_size():
            job.done = job.total
            job.finished_at = timezone.now()
        job.save(update_fields=["done", "last_work_id", "finished_at"])
        return job.finished_at is None


def refilter_job_run(*, job_id: int) -> RefilterJob:
    """Run the job to its end, batch by batch, from where it stopped."""
    job = RefilterJob.objects.get(pk=job_id)
    scope = sub_tag_scope(job.tag_ids)
    while refilter_job_batch(job_id=job_id, scope=scope):
        pass
    job.refresh_from_db()
    log.info("Re-filtered %s works for %s", job.done, job.reason)
    return job


def refilter_resume() -> list[RefilterJob]:
    """Finish every unfinished job, oldest first (after a worker was killed)."""
    jobs = []
    for job_id in (
        RefilterJob.objects.filter(finished_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    ):
        jobs.append(refilter_job_run(job_id=job_id))
    return jobs
