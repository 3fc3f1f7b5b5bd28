from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_tag_types(apps, schema_editor):
    FilterTagging = apps.get_model("tags", "FilterTagging")
    Tag = apps.get_model("tags", "Tag")
    FilterTagging.objects.update(
        tag_type=Subquery(Tag.objects.filter(pk=OuterRef("tag_id")).values("type")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("tags", "0004_keys_fixed_tags"),
        ("works", "0005_drop_warning_lists"),
    ]

    operations = [
        migrations.AddField(
            model_name="filtertagging",
            name="tag_type",
            field=models.CharField(
                choices=[
                    ("fandom", "Fandom"),
                    ("relationship", "Relationship"),
                    ("character", "Character"),
                    ("freeform", "Additional Tag"),
                    ("rating", "Rating"),
                    ("warning", "Archive Warning"),
                    ("category", "Category"),
                ],
                default="",
                max_length=20,
            ),
            preserve_default=False,
        ),
        migrations.RunPython(copy_tag_types, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="filtertagging",
            index=models.Index(fields=["work", "tag_type", "tag"], name="filtertagging_work_type"),
        ),
    ]
