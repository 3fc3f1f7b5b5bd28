from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from duster.accounts.models import Pseud, User


class PseudInline(admin.TabularInline):
    model = Pseud
    extra = 0


@admin.register(User)
class DusterUserAdmin(UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, ("Preferences", {"fields": ("view_adult", "time_zone")}))
    inlines = [PseudInline]
