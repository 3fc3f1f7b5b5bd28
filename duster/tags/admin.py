from django.contrib import admin

from duster.tags.filtering import refilter_tags
from duster.tags.models import MetaTagging, RefilterJob, Tag, TagFandom
from duster.tags.wrangling import admin as _wrangling_admin  # noqa: F401  Wrangler, WranglingLog


def _links(tag: Tag) -> set[int]:
    """The tags whose works a change to `tag` in the admin may touch."""
    if tag.pk is None:
        return set()
    metas = set(MetaTagging.objects.filter(sub=tag).values_list("meta_id", flat=True))
    merger = Tag.objects.filter(pk=tag.pk).values_list("merger_id", flat=True).first()
    return {tag.pk, *metas, *([merger] if merger else [])}


class MetaTaggingInline(admin.TabularInline):
    model = MetaTagging
    fk_name = "sub"
    raw_id_fields = ("meta",)
    extra = 0
    verbose_name = "meta tag"


class TagFandomInline(admin.TabularInline):
    model = TagFandom
    fk_name = "tag"
    raw_id_fields = ("fandom",)
    extra = 0
    verbose_name = "parent fandom"


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    """Read and correct tags; wrangling itself (with its log and the works'
    filter tags following) is done on the wrangling pages."""

    list_display = ("name", "type", "canonical", "fixed", "merger", "media")
    list_filter = ("type", "canonical", "fixed", "media")
    search_fields = ("name",)
    raw_id_fields = ("merger", "characters")
    readonly_fields = ("key", "match_key", "fixed", "created_at")
    inlines = (MetaTaggingInline, TagFandomInline)

    def save_model(self, request, obj, form, change):
        obj._links_before = _links(obj)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        tag = form.instance
        tag_ids = getattr(tag, "_links_before", set()) | _links(tag)
        refilter_tags(tag_ids=tag_ids, reason=f"“{tag.name}” changed in the admin")


@admin.register(RefilterJob)
class RefilterJobAdmin(admin.ModelAdmin):
    list_display = ("reason", "created_at", "done", "total", "finished_at")
    readonly_fields = (
        "reason",
        "tag_ids",
        "total",
        "done",
        "last_work_id",
        "created_at",
        "finished_at",
    )
