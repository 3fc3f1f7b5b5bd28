from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from duster.accounts.forms import AdminLoginForm
from duster.accounts.models import Pseud, Throttle, User

# The admin's login goes through the same backend (and so the same limits on
# failed attempts); this form says so when it refuses one.
admin.site.login_form = AdminLoginForm


class PseudInline(admin.TabularInline):
    model = Pseud
    extra = 0


@admin.register(User)
class DusterUserAdmin(UserAdmin):
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("Preferences", {"fields": ("view_adult", "time_zone")}),
    )
    inlines = [PseudInline]


@admin.register(Throttle)
class ThrottleAdmin(admin.ModelAdmin):
    """Deleting a row lifts that lockout or limit at once."""

    list_display = ("scope", "key", "count", "last_at", "notified_at")
    list_filter = ("scope",)
    search_fields = ("key",)
    ordering = ("-last_at",)
    readonly_fields = ("scope", "key", "count", "first_at", "last_at", "notified_at")

    def has_add_permission(self, request):
        return False
