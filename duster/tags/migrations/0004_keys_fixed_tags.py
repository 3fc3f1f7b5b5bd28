"""Tag keys also ignore accents now (tags that become one are merged), and
the archive's fixed ratings, warnings and categories exist as tags."""

import re
import unicodedata

from django.db import migrations
from django.utils.text import slugify

# The archive's fixed tags as they were when this migration was written.
FIXED = {
    "rating": ["Not Rated", "General Audiences", "Teen And Up Audiences", "Mature", "Explicit"],
    "warning": [
        "Creator Chose Not To Use Archive Warnings",
        "No Archive Warnings Apply",
        "Graphic Depictions Of Violence",
        "Major Character Death",
        "Rape/Non-Con",
        "Underage",
    ],
    "category": ["F/F", "F/M", "Gen", "M/M", "Multi", "Other"],
}


def _key(name):
    name = " ".join(name.split())
    stripped = "".join(
        c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)
    )
    return unicodedata.normalize("NFC", stripped.casefold())


def _match_key(name):
    return " ".join(re.sub(r"[\W_]+", " ", _key(name)).split())


def refresh_keys(apps, schema_editor):
    """Keys now also ignore accents: tags that become one are merged into the
    oldest, its works keeping every tag they had."""
    Tag = apps.get_model("tags", "Tag")
    WorkTag = apps.get_model("works", "WorkTag")
    tags = list(Tag.objects.order_by("pk").only("pk", "name", "type", "key", "match_key"))
    keepers = {}
    merged = {}
    for tag in tags:
        tag.name = " ".join(tag.name.split())
        tag.key, tag.match_key = _key(tag.name), _match_key(tag.name)
        keeper = keepers.setdefault((tag.key, tag.type), tag)
        if keeper is not tag:
            merged[tag.pk] = keeper.pk
    for old, new in merged.items():
        has_new = WorkTag.objects.filter(tag_id=new).values("work_id")
        WorkTag.objects.filter(tag_id=old).exclude(work_id__in=has_new).update(tag_id=new)
        Tag.objects.filter(merger_id=old).exclude(pk=new).update(merger_id=new)
        Tag.objects.filter(pk=new, merger_id=old).update(merger_id=None)
    Tag.objects.filter(pk__in=list(merged)).delete()
    kept = [tag for tag in tags if tag.pk not in merged]
    Tag.objects.bulk_update(kept, ["name", "key", "match_key"], batch_size=1000)


def create_fixed_tags(apps, schema_editor):
    Tag = apps.get_model("tags", "Tag")
    for tag_type, labels in FIXED.items():
        for label in labels:
            if Tag.objects.filter(type=tag_type, key=_key(label)).update(
                fixed=True, canonical=True, merger=None
            ):
                continue
            base = slugify(label) or tag_type
            slug, n = base, 1
            while Tag.objects.filter(slug=slug).exists():
                n += 1
                slug = f"{base}-{n}"
            Tag.objects.create(
                name=label,
                key=_key(label),
                match_key=_match_key(label),
                type=tag_type,
                slug=slug,
                canonical=True,
                fixed=True,
            )


class Migration(migrations.Migration):
    dependencies = [("tags", "0003_graph")]

    operations = [
        migrations.RunPython(refresh_keys, migrations.RunPython.noop),
        migrations.RunPython(create_fixed_tags, migrations.RunPython.noop),
    ]
