"""Admin: granting the wrangler role, and reading the wrangling log.

Registered when duster/tags/admin.py imports this module (the admin only
discovers each app's own admin.py)."""

from django.contrib import admin

from duster.tags.models import Wrangler, WranglingLog


@admin.register(Wrangler)
class WranglerAdmin(admin.ModelAdmin):
    """An admin grants the role: for one fandom, or for every fandom when
    the fandom is left empty."""

    list_display = ("user", "fandom", "created_at")
    list_select_related = ("user", "fandom")
    search_fields = ("user__username", "fandom__name")
    raw_id_fields = ("user", "fandom")


@admin.register(WranglingLog)
class WranglingLogAdmin(admin.ModelAdmin):
    """The log is written by the wrangling services only: read-only here."""

    list_display = ("at", "tag", "action", "actor", "undone_at")
    list_filter = ("action",)
    list_select_related = ("tag", "actor")
    search_fields = ("tag__name", "actor__username")
    readonly_fields = ("actor", "at", "tag", "action", "before", "after", "undone_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
