from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from duster.accounts.forms import AdminLoginForm
from duster.accounts.models import Pseud, Throttle, User
from duster.accounts.timezones import time_zone_choices

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
        (
            "Preferences",
            {
                "fields": (
                    "view_adult",
                    "time_zone",
                    "reader_theme",
                    ("reader_story_font", "reader_story_size"),
                    ("reader_story_leading", "reader_story_width"),
                    "reader_full_work",
                )
            },
        ),
    )
    inlines = [PseudInline]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "time_zone":  # the same grouped list as the preferences page
            return forms.ChoiceField(label="Time zone", choices=time_zone_choices)
        return super().formfield_for_dbfield(db_field, request, **kwargs)


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
