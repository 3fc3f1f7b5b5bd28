from django.db import migrations, models


def fill_keys(apps, schema_editor):
    Tag = apps.get_model("tags", "Tag")
    tags = list(Tag.objects.only("pk", "name"))
    for tag in tags:
        tag.key = tag.name.casefold()
    Tag.objects.bulk_update(tags, ["key"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("tags", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="tag",
            name="key",
            field=models.CharField(default="", editable=False, max_length=150),
            preserve_default=False,
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="tag", name="tag_name_type_unique"),
        migrations.AddConstraint(
            model_name="tag",
            constraint=models.UniqueConstraint(
                models.F("key"), models.F("type"), name="tag_key_type_unique"
            ),
        ),
    ]
