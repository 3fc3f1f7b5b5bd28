from django.contrib import admin

from duster.works.models import Chapter, Creatorship, Series, SeriesEntry, Work


class ChapterInline(admin.TabularInline):
    model = Chapter
    fields = ("position", "title", "posted", "word_count")
    readonly_fields = ("word_count",)
    extra = 0


class CreatorshipInline(admin.TabularInline):
    model = Creatorship
    raw_id_fields = ("pseud",)
    extra = 0


@admin.register(Work)
class WorkAdmin(admin.ModelAdmin):
    list_display = ("title", "state", "rating", "chapter_count", "complete", "updated_at")
    list_filter = ("state", "rating", "complete", "restricted")
    search_fields = ("title",)
    inlines = [CreatorshipInline, ChapterInline]


class SeriesEntryInline(admin.TabularInline):
    model = SeriesEntry
    raw_id_fields = ("work",)
    extra = 0


@admin.register(Series)
class SeriesAdmin(admin.ModelAdmin):
    list_display = ("title", "complete", "updated_at")
    search_fields = ("title",)
    inlines = [SeriesEntryInline]
