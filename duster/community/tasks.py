"""Background work for the community: keeping the counters on works true."""

from django.tasks import task

from duster.community.services import counts


@task
def community_recount() -> int:
    """Recount kudos, comments and bookmarks of every work, in batches, and
    repair any counter that drifted; how many works were repaired. Run it
    now and then (`manage.py recount_community --enqueue` from cron)."""
    return counts.works_recount_all()
