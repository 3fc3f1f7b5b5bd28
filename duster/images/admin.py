from django.contrib import admin
from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html

from duster.images.forms import ImageHostPolicyForm
from duster.images.models import Image, ImageHostPolicy


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    """Uploads are made on the writers' own page; here they can be looked at and deleted."""

    list_display = ("filename", "uploader", "extension", "size_shown", "dimensions", "created_at")
    list_select_related = ("uploader",)
    list_filter = ("extension",)
    search_fields = ("name", "original_name", "uploader__username")
    ordering = ("-created_at",)
    date_hierarchy = "created_at"
    raw_id_fields = ("uploader",)
    fields = (
        "preview",
        "filename",
        "uploader",
        "original_name",
        "content_type",
        "size_shown",
        "dimensions",
        "created_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="file", ordering="name")
    def filename(self, image: Image) -> str:
        return image.filename

    @admin.display(description="size", ordering="size")
    def size_shown(self, image: Image) -> str:
        return filesizeformat(image.size)

    @admin.display(description="pixels")
    def dimensions(self, image: Image) -> str:
        return f"{image.width}×{image.height}"

    @admin.display(description="image")
    def preview(self, image: Image) -> str:
        return format_html(
            '<a href="{0}"><img src="{0}" alt="" style="max-width: 400px; max-height: 400px"></a>',
            image.get_absolute_url(),
        )


@admin.register(ImageHostPolicy)
class ImageHostPolicyAdmin(admin.ModelAdmin):
    """The one row: which outside hosts works may show images from."""

    form = ImageHostPolicyForm
    list_display = ("__str__", "updated_at")

    def has_add_permission(self, request):
        return not ImageHostPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
