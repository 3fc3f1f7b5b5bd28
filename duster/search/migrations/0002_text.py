"""The full-text index: an FTS5 table on SQLite, stored tsvectors with a GIN
index on PostgreSQL (see duster.search.text). No model: only raw SQL reads
and writes it, so `makemigrations` has nothing to track."""

from django.db import migrations

SQLITE = [
    """CREATE VIRTUAL TABLE search_text USING fts5(
        title, creators, tags, summary, body,
        summary_shown UNINDEXED, body_shown UNINDEXED,
        tokenize = "unicode61 remove_diacritics 0 categories 'L* N* M* Co'"
    )""",
]
POSTGRESQL = [
    # The field vectors are small and stay in the row, where the field terms
    # are checked; a long document moves out of line, uncompressed: phrases
    # are checked against the document of each work the GIN index names.
    """CREATE TABLE search_text (
        work_id bigint PRIMARY KEY,
        document tsvector NOT NULL,
        title tsvector NOT NULL,
        creators tsvector NOT NULL,
        tags tsvector NOT NULL,
        summary tsvector NOT NULL
    )""",
    "ALTER TABLE search_text ALTER COLUMN document SET STORAGE EXTERNAL",
    "CREATE INDEX search_text_document ON search_text USING gin (document)"
    " WITH (fastupdate = off)",
    """CREATE TABLE search_text_shown (
        work_id bigint PRIMARY KEY,
        summary text NOT NULL,
        body text NOT NULL
    )""",
    # The works matching a document query, checked against the field queries
    # (NULL: no condition). The planner does not count the cost of reading
    # each row's document out of line, and would read the whole table for a
    # common word; with enable_seqscan off, only within this function, it
    # takes the GIN index.
    """CREATE FUNCTION search_text_ids(
        document_query tsquery,
        title_query tsquery, title_not tsquery,
        creators_query tsquery, creators_not tsquery,
        tags_query tsquery, tags_not tsquery,
        summary_query tsquery, summary_not tsquery
    ) RETURNS SETOF bigint LANGUAGE sql STABLE SET enable_seqscan = off AS $$
        SELECT work_id FROM search_text
        WHERE document @@ document_query
            AND (title_query IS NULL OR title @@ title_query)
            AND (title_not IS NULL OR NOT title @@ title_not)
            AND (creators_query IS NULL OR creators @@ creators_query)
            AND (creators_not IS NULL OR NOT creators @@ creators_not)
            AND (tags_query IS NULL OR tags @@ tags_query)
            AND (tags_not IS NULL OR NOT tags @@ tags_not)
            AND (summary_query IS NULL OR summary @@ summary_query)
            AND (summary_not IS NULL OR NOT summary @@ summary_not)
    $$""",
]


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in {"sqlite": SQLITE, "postgresql": POSTGRESQL}.get(vendor, []):
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS search_text_ids")
        schema_editor.execute("DROP TABLE IF EXISTS search_text_shown")
    schema_editor.execute("DROP TABLE IF EXISTS search_text")


class Migration(migrations.Migration):

    dependencies = [
        ("search", "0001_change_log"),
    ]

    operations = [
        migrations.RunPython(create, drop),
    ]
