from django.contrib import admin

from duster.downloads.models import DownloadFile


@admin.register(DownloadFile)
class DownloadFileAdmin(admin.ModelAdmin):
    """Built files, to see what failed and why; deleting one makes the next
    request build it again."""

    list_display = ("work", "extension", "state", "size", "built_at", "error")
    list_filter = ("state", "extension")
    search_fields = ("work__title", "error")
    raw_id_fields = ("work",)
    readonly_fields = [f.name for f in DownloadFile._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
