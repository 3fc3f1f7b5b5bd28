"""Helpers for the eFiction import tests: run the command on a dump given as text, rewrite
the archive-A fixture's rows, and describe what an import wrote in terms of eFiction's ids
(so two imports into different databases can be compared)."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.management import call_command

from duster.accounts.models import User
from duster.community.models import Bookmark, Comment, Subscription
from duster.imports.efiction import read_dump_text
from duster.imports.models import ImportKind, LegacyId
from duster.works.models import Chapter, Series, Work

# A copy of the shared fixture archive-a.sql; its ground truth is in the README beside the
# original (/work/shared/fixtures/efiction/README.md).
ARCHIVE_A = Path(__file__).resolve().parent / "fixtures" / "efiction-archive-a.sql"


def archive_text() -> str:
    return ARCHIVE_A.read_text(encoding="utf-8")


def run_import(dump: str | Path, *args: str, tmp_path: Path | None = None) -> str:
    """Run `import_efiction` on a dump (a path, or the dump's text written to tmp_path) and
    return what it printed, stdout then stderr."""
    if isinstance(dump, str):
        assert tmp_path is not None
        path = tmp_path / "dump.sql"
        path.write_text(dump, encoding="utf-8")
    else:
        path = dump
    out, err = io.StringIO(), io.StringIO()
    call_command("import_efiction", str(path), *args, stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


# --- rewriting the dump ------------------------------------------------------------------


def sql_literal(value: object) -> str:
    """A value as mysqldump writes it."""
    if value is None:
        return "NULL"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    for plain, escaped in (
        ("\\", "\\\\"),
        ("'", "\\'"),
        ('"', '\\"'),
        ("\n", "\\n"),
        ("\r", "\\r"),
        ("\0", "\\0"),
        ("\x1a", "\\Z"),
    ):
        text = text.replace(plain, escaped)
    return f"'{text}'"


def rewrite_rows(text: str, table: str, change: Callable[[dict[str, Any]], dict[str, Any]]) -> str:
    """The dump with every INSERT line of `fanfiction_<table>` written again from its row as
    `change(row)` returns it (the dump has one INSERT per row)."""
    dump = read_dump_text(text)
    columns = dump.columns[table]
    rows = iter(dump.rows(table))
    head = f"INSERT INTO `fanfiction_{table}` VALUES ("  # noqa: S608 (dump text, not a query)

    def write(match: re.Match[str]) -> str:
        row = change(dict(next(rows)))
        return head + ",".join(sql_literal(row[name]) for name in columns) + ");"

    out = re.sub(r"^" + re.escape(head) + r".*\);$", write, text, flags=re.M)
    assert next(rows, None) is None, f"not every {table} row was rewritten"
    return out


def insert_line(text: str, table: str, key: str, value: object) -> str:
    """The INSERT line of `fanfiction_<table>` whose first column is `value`."""
    head = f"INSERT INTO `fanfiction_{table}` VALUES ({sql_literal(value)},"  # noqa: S608
    lines = [line for line in text.splitlines() if line.startswith(head)]
    assert len(lines) == 1, f"no single {table} row with {key} {value}"
    return lines[0]


def without_rows(text: str, *tables: str) -> str:
    """The dump with no rows in those tables (for tests that do not look at them)."""
    names = "|".join(tables)
    pattern = rf"^INSERT INTO `fanfiction_(?:{names})` VALUES .*\n"  # noqa: S608
    out = re.sub(pattern, "", text, flags=re.M)
    assert out != text
    return out


def add_after(text: str, line: str, new_line: str) -> str:
    assert text.count(line + "\n") == 1
    return text.replace(line + "\n", f"{line}\n{new_line}\n")


# --- reading what the import wrote --------------------------------------------------------


def legacy(kind: str, source: str = "efiction") -> dict[int, int]:
    """eFiction id → Duster id for one kind of record with numeric ids (not favourites)."""
    return {
        int(old): new
        for old, new in LegacyId.objects.filter(source=source, kind=kind).values_list(
            "old_id", "new_id"
        )
    }


def works_by_sid(source: str = "efiction") -> dict[int, Work]:
    ids = legacy(ImportKind.STORY, source)
    works = Work.objects.in_bulk(ids.values())
    return {sid: works[pk] for sid, pk in ids.items() if pk in works}


def users_by_uid(source: str = "efiction") -> dict[int, User]:
    ids = legacy(ImportKind.AUTHOR, source)
    users = User.objects.in_bulk(ids.values())
    return {uid: users[pk] for uid, pk in ids.items() if pk in users}


def visible_text(markup: str) -> str:
    """The words of some HTML as a reader sees them, one space between each."""
    text = re.sub(r"<[^>]*>", " ", markup)
    return " ".join(html.unescape(text).split())


def row_counts() -> dict[str, int]:
    """Rows in every table Duster has."""
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
    }


def snapshot(source: str = "efiction") -> dict[str, Any]:
    """Everything an import wrote, keyed by eFiction ids and free of Duster's own ids."""
    users = users_by_uid(source)
    # Duster id (or None) → eFiction's id or name
    username: dict[Any, str] = {u.pk: u.username for u in users.values()}
    sid_of: dict[Any, int] = {w.pk: sid for sid, w in works_by_sid(source).items()}
    series_ids = legacy(ImportKind.SERIES, source)
    seriesid_of: dict[Any, int] = {pk: sid for sid, pk in series_ids.items()}
    members = {
        uid: (
            u.username,
            u.email,
            u.date_joined,
            u.has_usable_password(),
            u.default_pseud.name,
            u.default_pseud.description,
        )
        for uid, u in users.items()
    }
    stories = {}
    for sid, work in works_by_sid(source).items():
        stories[sid] = {
            "fields": (
                work.title,
                work.summary,
                work.notes,
                work.rating,
                work.complete,
                work.expected_chapters,
                work.chapter_count,
                work.word_count,
                work.hits,
                work.published_at,
                work.updated_at,
                work.state,
                work.restricted,
                work.comment_count,
                work.bookmark_count,
            ),
            "tags": sorted((t.type, t.name) for t in work.tags.all()),
            "creators": [(c.pseud.name, c.approved) for c in work.creatorships.all()],
            "chapters": [
                (
                    c.position,
                    c.title,
                    c.notes,
                    c.end_notes,
                    c.body,
                    c.word_count,
                    c.published_at,
                    c.posted,
                )
                for c in work.chapters.order_by("position")
            ],
        }
    series = {
        seriesid: (
            s.title,
            s.summary,
            s.notes,
            [p.name for p in s.credited_pseuds()],
            [sid_of.get(e.work_id) for e in s.entries.order_by("position")],
        )
        for seriesid, s in (
            (seriesid_of[s.pk], s) for s in Series.objects.filter(pk__in=series_ids.values())
        )
    }
    position: dict[Any, int] = dict(Chapter.objects.values_list("pk", "position"))

    def comment(c: Comment) -> tuple:
        return (
            sid_of.get(c.work_id),
            position.get(c.chapter_id),
            username.get(c.user_id),
            c.guest_name,
            c.rating,
            c.by_creator,
            c.body,
            c.created_at,
            c.state,
        )

    reviews = {}
    replies = legacy(ImportKind.REPLY, source)
    for reviewid, pk in legacy(ImportKind.REVIEW, source).items():
        review = Comment.objects.get(pk=pk)
        reply = Comment.objects.filter(pk=replies.get(reviewid, 0)).first()
        reviews[reviewid] = (
            comment(review),
            reply and (comment(reply), reply.parent_id == review.pk),
        )
    bookmarks = sorted(
        (
            username.get(b.user_id, ""),
            sid_of.get(b.work_id, 0),
            seriesid_of.get(b.series_id, 0),
            b.notes,
        )
        for b in Bookmark.objects.all()
    )
    subscriptions = sorted(
        (username.get(s.user_id, ""), username.get(s.creator_id, ""))
        for s in Subscription.objects.all()
    )
    return {
        "members": members,
        "stories": stories,
        "series": series,
        "reviews": reviews,
        "bookmarks": bookmarks,
        "subscriptions": subscriptions,
    }
