"""PostgreSQL's text index as rows of at most a hundred words and a set of
words per work (duster.search.text.postgres), in place of a document and
field vectors per work: every position of a long work is kept, a phrase is
checked in a few short rows, and several words are intersected by the
index. SQLite's index is unchanged. The works are indexed again by
0005_text_pairs, whose tables the code writes too."""

import importlib

from django.db import migrations

CREATE = [
    # A row of 100 words is under 2 kB: kept in the table's own pages,
    # read without a look-up elsewhere or decompression.
    """CREATE TABLE search_text_rows (
        work_id bigint NOT NULL,
        part integer NOT NULL,
        head boolean NOT NULL,
        words tsvector NOT NULL,
        PRIMARY KEY (work_id, part)
    )""",
    "CREATE INDEX search_text_rows_words ON search_text_rows USING gin (words)"
    " WITH (fastupdate = off)",
    # Each work's words, without places: the works with all of several words.
    """CREATE TABLE search_text_words (
        work_id bigint PRIMARY KEY,
        words tsvector NOT NULL
    )""",
    "CREATE INDEX search_text_words_words ON search_text_words USING gin (words)"
    " WITH (fastupdate = off)",
]
OLD = importlib.import_module("duster.search.migrations.0002_text").POSTGRESQL[:3]
OLD_RANKED = importlib.import_module("duster.search.migrations.0003_text_ranked").CREATE


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in CREATE:
        schema_editor.execute(sql)
    schema_editor.execute("DROP FUNCTION search_text_ranked")
    schema_editor.execute("DROP TABLE search_text")


def drop(apps, schema_editor):
    """Back to the empty tables of 0003: `rebuild_search_index` fills them."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP TABLE search_text_rows, search_text_words")
    schema_editor.execute("TRUNCATE search_text_shown")
    for sql in [*OLD, OLD_RANKED]:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0003_text_ranked"),
    ]

    operations = [
        migrations.RunPython(create, drop),
    ]
