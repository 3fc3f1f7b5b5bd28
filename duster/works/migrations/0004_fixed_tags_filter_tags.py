"""Archive warnings and categories move from JSON lists on the work to WorkTag
rows pointing at the fixed tags (which SQLite and PostgreSQL both filter), and
every work gets its filter tags."""

import unicodedata

from django.db import migrations, models

# Values and labels as they were when this migration was written.
RATINGS = {
    "not_rated": "Not Rated",
    "general": "General Audiences",
    "teen": "Teen And Up Audiences",
    "mature": "Mature",
    "explicit": "Explicit",
}
WARNINGS = {
    "no_warn": "Creator Chose Not To Use Archive Warnings",
    "none": "No Archive Warnings Apply",
    "violence": "Graphic Depictions Of Violence",
    "death": "Major Character Death",
    "noncon": "Rape/Non-Con",
    "underage": "Underage",
}
CATEGORIES = {
    "ff": "F/F",
    "fm": "F/M",
    "gen": "Gen",
    "mm": "M/M",
    "multi": "Multi",
    "other": "Other",
}
BATCH = 2000


def _key(name):
    name = " ".join(name.split())
    stripped = "".join(
        c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)
    )
    return unicodedata.normalize("NFC", stripped.casefold())


def _fixed_ids(Tag, tag_type, labels):
    ids = dict(Tag.objects.filter(type=tag_type, fixed=True).values_list("key", "pk"))
    return {value: ids[_key(label)] for value, label in labels.items() if _key(label) in ids}


def move_fixed_tags(apps, schema_editor):
    Tag = apps.get_model("tags", "Tag")
    Work = apps.get_model("works", "Work")
    WorkTag = apps.get_model("works", "WorkTag")
    FilterTagging = apps.get_model("tags", "FilterTagging")
    ratings = _fixed_ids(Tag, "rating", RATINGS)
    warnings = _fixed_ids(Tag, "warning", WARNINGS)
    categories = _fixed_ids(Tag, "category", CATEGORIES)
    mergers = dict(Tag.objects.filter(merger__isnull=False).values_list("pk", "merger_id"))
    last = 0
    while True:
        works = list(
            Work.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "rating", "warnings", "categories")[:BATCH]
        )
        if not works:
            break
        last = works[-1][0]
        ids = [w[0] for w in works]
        tags_of: dict[int, list[int]] = {}
        for work_id, tag_id in WorkTag.objects.filter(work_id__in=ids).values_list(
            "work_id", "tag_id"
        ):
            tags_of.setdefault(work_id, []).append(tag_id)
        work_tags, filters = [], []
        for work_id, rating, work_warnings, work_categories in works:
            own = tags_of.get(work_id, [])
            fixed = [warnings[v] for v in work_warnings or [] if v in warnings]
            fixed += [categories[v] for v in work_categories or [] if v in categories]
            fixed = [t for t in dict.fromkeys(fixed) if t not in own]
            work_tags += [
                WorkTag(work_id=work_id, tag_id=tag_id, position=len(own) + i)
                for i, tag_id in enumerate(fixed)
            ]
            wanted = {mergers.get(t, t) for t in own + fixed}
            if rating in ratings:
                wanted.add(ratings[rating])
            filters += [FilterTagging(work_id=work_id, tag_id=t) for t in wanted]
        WorkTag.objects.bulk_create(work_tags, batch_size=1000)
        FilterTagging.objects.bulk_create(filters, batch_size=1000, ignore_conflicts=True)


def restore_lists(apps, schema_editor):
    Tag = apps.get_model("tags", "Tag")
    Work = apps.get_model("works", "Work")
    WorkTag = apps.get_model("works", "WorkTag")
    values = {}
    for tag_type, labels in (("warning", WARNINGS), ("category", CATEGORIES)):
        for value, tag_id in _fixed_ids(Tag, tag_type, labels).items():
            values[tag_id] = (tag_type, value)
    lists: dict[int, dict[str, list[str]]] = {}
    rows = WorkTag.objects.filter(tag_id__in=list(values)).order_by("position")
    for work_id, tag_id in rows.values_list("work_id", "tag_id"):
        tag_type, value = values[tag_id]
        lists.setdefault(work_id, {"warning": [], "category": []})[tag_type].append(value)
    for work_id, found in lists.items():
        Work.objects.filter(pk=work_id).update(
            warnings=found["warning"], categories=found["category"]
        )
    rows.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tags", "0004_keys_fixed_tags"),
        ("works", "0003_rich_text_sources"),
    ]

    operations = [
        migrations.AddField(
            model_name="work",
            name="filter_tags",
            field=models.ManyToManyField(
                related_name="filtered_works", through="tags.FilterTagging", to="tags.tag"
            ),
        ),
        migrations.RunPython(move_fixed_tags, restore_lists),
    ]
