"""The kudos part of a work's reading pages (see duster.community.page)."""

from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import Count, Q
from django.template.defaultfilters import pluralize

from duster.accounts.models import User
from duster.community.models import Kudos
from duster.community.selectors.member import MemberOfWork, member_of_work
from duster.lib.pagecache import kept_while_unchanged, work_page_dependencies

# Names shown under a work; the rest are counted ("and 12 more").
NAMES_SHOWN = 50


@dataclass
class KudosSummary:
    """Who left kudos on a work: the latest members by name, the others counted."""

    members: list[User] = field(default_factory=list)
    more_members: int = 0
    guests: int = 0
    # Whether the member looking has left kudos (always False for a guest).
    given: bool = False

    @property
    def any(self) -> bool:
        return bool(self.members or self.more_members or self.guests)

    @property
    def others(self) -> list[str]:
        """Those not named: ["12 more users", "3 guests"]."""
        others = []
        if self.more_members:
            others.append(f"{self.more_members} more user{pluralize(self.more_members)}")
        if self.guests:
            others.append(f"{self.guests} guest{pluralize(self.guests)}")
        return others


def kudos_summary(work, *, limit: int = NAMES_SHOWN) -> KudosSummary:
    """Who left kudos, the same for every reader (`given` is the page's to
    set): two queries whatever the number of kudos; none for a work without
    any (its counter says so: a counter that drifted is repaired by the recount)."""
    if not work.kudos_count:
        return KudosSummary()
    totals = Kudos.objects.filter(work=work).aggregate(
        members=Count("pk", filter=Q(user__isnull=False)),
        guests=Count("pk", filter=Q(user__isnull=True)),
    )
    summary = KudosSummary(guests=totals["guests"])
    if totals["members"]:
        rows = (
            Kudos.objects.filter(work=work, user__isnull=False)
            .select_related("user")
            .only("pk", "created_at", "user__id", "user__username")
            .order_by("-created_at", "-pk")[:limit]
        )
        summary.members = [row.user for row in rows if row.user is not None]
        summary.more_members = totals["members"] - len(summary.members)
    return summary


def kudos_page_context(
    request, *, work, chapters, shown, full_work: bool, own: MemberOfWork | None = None
) -> dict[str, Any]:
    """For a guest the same for every guest (the page is cached): who left
    kudos, and a link to the kudos page; a member also learns whether they
    left kudos already (from `own`, what they have of the work). Who left
    kudos is kept until the work's pages change (any kudos row written
    changes them: duster.community.signals)."""
    user = request.user
    summary = KudosSummary()
    if work.kudos_count:  # else nothing to keep
        summary = kept_while_unchanged(
            f"kudos:{work.pk}", work_page_dependencies(work.pk), lambda: kudos_summary(work)
        )
    if user.is_authenticated:
        given = (own or member_of_work(user, work)).kudos_given
        summary = replace(summary, given=given)
    return {
        "kudos": summary,
        "kudos_can_leave": not (user.is_authenticated and work.is_creator(user)),
    }
