"""The admin for what readers give back, and the reports queue.

Rows that Work's counters follow (comments, kudos, bookmarks) may be edited or
deleted here; each change recounts the works it touched in the same
transaction, so the counters and the cached pages stay true."""

from django.contrib import admin, messages
from django.db.models import Case, IntegerField, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from duster.community.choices import ReportState
from duster.community.models import (
    Bookmark,
    Comment,
    Kudos,
    Notification,
    Reading,
    Report,
    Subscription,
)
from duster.community.services.counts import works_recount
from duster.community.services.reports import reports_resolve


class RecountingAdmin(admin.ModelAdmin):
    """Saves and deletes set the counters of the works they touch from the rows."""

    def _recount(self, work_ids) -> None:
        work_ids = {pk for pk in work_ids if pk is not None}
        if work_ids:
            works_recount(work_ids=work_ids)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self._recount([obj.work_id])

    def delete_model(self, request, obj):
        work_id = obj.work_id
        super().delete_model(request, obj)
        self._recount([work_id])

    def delete_queryset(self, request, queryset):
        work_ids = set(queryset.values_list("work_id", flat=True))
        super().delete_queryset(request, queryset)
        self._recount(work_ids)


@admin.register(Comment)
class CommentAdmin(RecountingAdmin):
    list_display = ("pk", "work", "chapter", "author", "state", "by_creator", "created_at")
    list_filter = ("state", "by_creator", "frozen")
    search_fields = ("body_source", "guest_name", "guest_email", "user__username")
    raw_id_fields = ("work", "chapter", "parent", "thread", "user", "pseud")
    readonly_fields = ("body", "address_key", "created_at", "edited_at")
    list_select_related = ("work", "chapter", "user")
    date_hierarchy = "created_at"

    @admin.display(description="by")
    def author(self, comment: Comment) -> str:
        if comment.user is not None:
            return comment.user.username
        return f"{comment.guest_name} (guest)"


@admin.register(Kudos)
class KudosAdmin(RecountingAdmin):
    list_display = ("work", "user", "guest_key", "day", "created_at")
    list_filter = ("day",)
    search_fields = ("user__username", "work__title")
    raw_id_fields = ("work", "user")
    list_select_related = ("work", "user")


@admin.register(Bookmark)
class BookmarkAdmin(RecountingAdmin):
    list_display = ("user", "work", "series", "private", "rec", "created_at")
    list_filter = ("private", "rec")
    search_fields = ("user__username", "work__title", "series__title", "notes_source")
    raw_id_fields = ("user", "pseud", "work", "series", "tags")
    readonly_fields = ("notes",)
    list_select_related = ("user", "work", "series")


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ("user", "work", "series", "creator", "created_at")
    search_fields = ("user__username", "work__title", "series__title", "creator__username")
    raw_id_fields = ("user", "work", "series", "creator")
    list_select_related = ("user", "work", "series", "creator")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "work", "created_at", "read_at", "emailed_at")
    list_filter = ("kind",)
    search_fields = ("user__username",)
    raw_id_fields = ("user", "work", "chapter", "series", "comment")
    list_select_related = ("user", "work")


@admin.register(Reading)
class ReadingAdmin(admin.ModelAdmin):
    list_display = ("user", "work", "chapter", "visits", "last_read_at", "marked_for_later")
    list_filter = ("marked_for_later",)
    search_fields = ("user__username", "work__title")
    raw_id_fields = ("user", "work", "chapter")
    list_select_related = ("user", "work", "chapter")


class ReportStateFilter(admin.SimpleListFilter):
    """Open reports unless asked otherwise: the queue is what admins come for."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [*ReportState.choices, ("all", "All")]

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": (self.value() or ReportState.OPEN) == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or ReportState.OPEN
        if value == "all":
            return queryset
        return queryset.filter(state=value)


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ("subject", "state", "reported", "filed_by", "created_at", "resolved_at")
    list_filter = (ReportStateFilter,)
    search_fields = ("subject", "reason", "reporter__username", "reporter_email")
    date_hierarchy = "created_at"
    list_select_related = ("reporter", "resolved_by")
    actions = ("mark_resolved", "dismiss")
    fields = (
        "subject",
        "reported",
        "filed_by",
        "reason",
        "state",
        "created_at",
        "resolved_at",
        "resolved_by",
    )
    readonly_fields = (
        "subject",
        "reported",
        "filed_by",
        "reason",
        "created_at",
        "resolved_at",
        "resolved_by",
    )

    def has_add_permission(self, request):
        return False  # reports come from readers

    def get_ordering(self, request):
        # Open reports first (oldest waiting longest at the top), then the rest.
        open_first = Case(
            When(state=ReportState.OPEN, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
        return [open_first.asc(), "created_at"]

    @admin.display(description="reported")
    def reported(self, report: Report) -> str:
        links = []
        if report.comment_id:
            links.append(
                (reverse("admin:community_comment_change", args=[report.comment_id]), "comment")
            )
        if report.work_id:
            links.append((reverse("work_detail", args=[report.work_id]), "work page"))
            links.append((reverse("admin:works_work_change", args=[report.work_id]), "work admin"))
        if report.reported_user_id:
            links.append(
                (reverse("admin:accounts_user_change", args=[report.reported_user_id]), "user")
            )
        if not links:
            return "(deleted)"
        return format_html_join(" · ", '<a href="{}">{}</a>', links)

    @admin.display(description="filed by")
    def filed_by(self, report: Report) -> str:
        if report.reporter is not None:
            return format_html(
                '<a href="{}">{}</a>',
                reverse("admin:accounts_user_change", args=[report.reporter.pk]),
                report.reporter.username,
            )
        return f"{report.reporter_email} (guest)" if report.reporter_email else "(deleted account)"

    def save_model(self, request, obj, form, change):
        # Closing a report by hand records who closed it and when, as the actions do.
        if "state" in form.changed_data:
            if obj.state == ReportState.OPEN:
                obj.resolved_at, obj.resolved_by = None, None
            else:
                obj.resolved_at, obj.resolved_by = timezone.now(), request.user
        super().save_model(request, obj, form, change)

    def _close(self, request, queryset, state: str, done: str) -> None:
        count = reports_resolve(reports=queryset, by=request.user, state=state)
        self.message_user(
            request, f"{count} report{'s' if count != 1 else ''} {done}.", messages.SUCCESS
        )

    @admin.action(description="Mark resolved", permissions=["change"])
    def mark_resolved(self, request, queryset):
        self._close(request, queryset, ReportState.RESOLVED, "marked resolved")

    @admin.action(description="Dismiss", permissions=["change"])
    def dismiss(self, request, queryset):
        self._close(request, queryset, ReportState.DISMISSED, "dismissed")
