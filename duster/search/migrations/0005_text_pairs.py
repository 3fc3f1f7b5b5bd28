"""Pairs of the commonest words (duster.search.text.pairs) in the text index:
two more FTS5 columns on SQLite, a table of each work's pair numbers on
PostgreSQL. An archive with posted works has them indexed again here."""

import importlib

from django.db import migrations

SQLITE = [
    "DROP TABLE search_text",
    # As in 0002_text, and the pairs of the head fields' and the body's
    # words: tokens of a private-use character and digits, which no word holds.
    """CREATE VIRTUAL TABLE search_text USING fts5(
        title, creators, tags, summary, body,
        summary_shown UNINDEXED, body_shown UNINDEXED,
        head_pairs, pairs,
        tokenize = "unicode61 remove_diacritics 0 categories 'L* N* M* Co'"
    )""",
]
OLD_SQLITE = ["DROP TABLE search_text", *importlib.import_module("duster.search.migrations.0002_text").SQLITE]
POSTGRESQL = [
    # A short row per work (its pairs as smallints, about 110 bytes): the
    # works holding a common pair are most of the table's pages, read in
    # order.
    """CREATE TABLE search_text_pairs (
        work_id bigint PRIMARY KEY,
        pairs smallint[] NOT NULL
    )""",
    "CREATE INDEX search_text_pairs_pairs ON search_text_pairs USING gin (pairs)"
    " WITH (fastupdate = off)",
]


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in {"sqlite": SQLITE, "postgresql": POSTGRESQL}.get(vendor, []):
        schema_editor.execute(sql)
    Work = apps.get_model("works", "Work")
    if Work.objects.filter(state="posted").exists():
        from duster.search.text import text_index_rebuild

        text_index_rebuild()


def drop(apps, schema_editor):
    """Back to the tables of 0004, empty: `rebuild_search_index` fills them."""
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("DROP TABLE search_text_pairs")
        schema_editor.execute("TRUNCATE search_text_rows, search_text_words, search_text_shown")
    elif vendor == "sqlite":
        for sql in OLD_SQLITE:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0004_text_rows"),
        # The rebuild reads works, their chapters, creators and tags as the
        # code stands: their tables as the code expects them.
        ("works", "0005_drop_warning_lists"),
        ("tags", "0005_filter_tag_type"),
    ]

    operations = [
        migrations.RunPython(create, drop),
    ]
