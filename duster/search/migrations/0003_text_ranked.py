"""The works matching a text query with their scores, in one scan: each
match's document is read once for the check and the score together, where
the ids first and a second look-up of every match for its score read it
twice. It replaces search_text_ids: with no rank query (NULL) the score is
NULL and no document is read for it (PostgreSQL only; see
duster.search.text.postgres)."""

import importlib

from django.db import migrations

# search_text_ids as 0002 wrote it, and what this one changes of it: a rank
# query among the arguments, and each work's score beside its id.
SEARCH_TEXT_IDS = importlib.import_module("duster.search.migrations.0002_text").POSTGRESQL[-1]
CHANGES = [
    ("search_text_ids(\n", "search_text_ranked(\n"),
    ("document_query tsquery,\n", "document_query tsquery, rank_query tsquery,\n"),
    ("RETURNS SETOF bigint", "RETURNS TABLE (work_id bigint, score real)"),
    ("SELECT work_id FROM", "SELECT work_id, ts_rank_cd(document, rank_query) FROM"),
]
CREATE = SEARCH_TEXT_IDS
for old, new in CHANGES:
    assert CREATE.count(old) == 1, old
    CREATE = CREATE.replace(old, new)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)
        schema_editor.execute("DROP FUNCTION search_text_ids")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SEARCH_TEXT_IDS)
        schema_editor.execute("DROP FUNCTION IF EXISTS search_text_ranked")


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0002_text"),
    ]

    operations = [
        migrations.RunPython(create, drop),
    ]
