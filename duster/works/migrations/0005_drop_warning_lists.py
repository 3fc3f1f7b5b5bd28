from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("works", "0004_fixed_tags_filter_tags")]

    operations = [
        migrations.RemoveField(model_name="work", name="categories"),
        migrations.RemoveField(model_name="work", name="warnings"),
    ]
