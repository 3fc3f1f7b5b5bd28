"""Reading an eFiction 3.x MySQL/MariaDB dump into plain rows.

`read_dump(path)` streams the dump line by line and returns a `Dump`: for each eFiction table
(named without its prefix, e.g. "stories"), its rows as dicts {column: value}, plus the table
prefix it found and a list of warnings. Nothing here writes to Duster's database; the importer
reads the rows and decides what they become.

Column names come from, in this order: the INSERT's own column list, the dump's CREATE TABLE
statement for the table, or the column orders eFiction itself uses (`schema.py`), chosen by
the number of values in the row.

Bad input never stops the reader where it can go on safely. A row it cannot read, a dump cut
off in the middle of a statement, a table eFiction does not have and bytes that are not in the
dump's encoding each become a `DumpWarning` naming the line, table and row, and the reader
moves on to the next row or statement.
"""

from __future__ import annotations

import bisect
import codecs
import io
import os
from collections import Counter
from dataclasses import dataclass, field
from typing import BinaryIO

from duster.imports.efiction import schema
from duster.imports.efiction.sql import (
    Insert,
    SqlSyntaxError,
    Statement,
    StatementSplitter,
    Value,
    first_word,
    iter_rows,
    parse_create_table,
    parse_insert_head,
    unquote_name,
)

Row = dict[str, Value]

# Statements a dump holds that carry no rows.
_IGNORED = {
    "ALTER",
    "BEGIN",
    "COMMIT",
    "DROP",
    "LOCK",
    "ROLLBACK",
    "SAVEPOINT",
    "SET",
    "START",
    "UNLOCK",
    "USE",
    "FLUSH",
    "ANALYZE",
    "OPTIMIZE",
    "DELIMITER",
}
# At most this many "bytes not in the encoding" warnings are listed one by one.
_DECODE_WARNINGS_LISTED = 20


class DumpError(Exception):
    """The dump cannot be read at all (missing file, unknown encoding)."""


@dataclass
class DumpWarning:
    """Something in the dump that was skipped or read with a guess.

    `severity` is "error" when rows were lost and "warning" when everything was kept.
    `row` counts the table's rows in the dump from 1.
    """

    message: str
    table: str | None = None
    row: int | None = None
    line: int | None = None
    severity: str = "warning"

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.table is not None:
            where.append(f"table {self.table}")
        if self.row is not None:
            where.append(f"row {self.row}")
        return (", ".join(where) + ": " if where else "") + self.message


@dataclass
class Dump:
    """What a dump holds: eFiction's tables by name without prefix, and what went wrong."""

    prefix: str | None
    tables: dict[str, list[Row]] = field(default_factory=dict)
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    warnings: list[DumpWarning] = field(default_factory=list)
    unknown_tables: dict[str, int] = field(default_factory=dict)
    unknown_rows: dict[str, list[Row]] = field(default_factory=dict)
    encoding: str = "utf-8"

    def rows(self, table: str) -> list[Row]:
        """The rows of one eFiction table ("stories", "chapters", ...), [] if the dump has none."""
        return self.tables.get(table, [])

    @property
    def settings(self) -> Row:
        """The archive's settings row (eFiction keeps one), {} if the dump has none."""
        rows = self.rows("settings")
        return rows[0] if rows else {}

    @property
    def counts(self) -> dict[str, int]:
        """Rows read per table."""
        return {name: len(rows) for name, rows in self.tables.items()}

    @property
    def errors(self) -> list[DumpWarning]:
        return [w for w in self.warnings if w.severity == "error"]

    def report(self) -> str:
        """A short plain-text summary: prefix, rows per table, then every warning."""
        lines = [f"table prefix: {self.prefix!r}"]
        lines += [f"{name}: {count} rows" for name, count in sorted(self.counts.items())]
        lines += [f"{w.severity}: {w}" for w in self.warnings]
        return "\n".join(lines)


@dataclass
class _Table:
    """What is known about one table of the dump (by its full name) while reading."""

    name: str
    base: str | None
    created: tuple[str, ...] | None = None
    rows: list[Row] = field(default_factory=list)
    seen: int = 0
    layout: tuple[str, ...] | None = None


def read_dump(
    source: str | os.PathLike[str] | BinaryIO,
    *,
    encoding: str = "utf-8",
    prefix: str | None = None,
    keep_unknown: bool = False,
) -> Dump:
    """Read an eFiction dump file (a path or a binary file object).

    `encoding` is the dump file's character set; bytes that are not valid in it are read as
    Windows-1252 (or Latin-1) and reported. `prefix` is the part of every table name before
    eFiction's own name ("fanfiction_" in a default install, "" if the tables are plain
    `stories`, ...); without it the prefix is found from the table names. With `keep_unknown`,
    the rows of tables that are not eFiction's are kept in `Dump.unknown_rows`.
    """
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise DumpError(f"unknown encoding {encoding!r}") from None
    reader = _Reader(encoding=encoding, prefix=prefix, keep_unknown=keep_unknown)
    if hasattr(source, "read"):
        reader.read(source)  # type: ignore[arg-type]
    else:
        try:
            with open(source, "rb") as stream:
                reader.read(stream)
        except OSError as exc:
            raise DumpError(f"cannot read {os.fspath(source)}: {exc.strerror}") from None
    return reader.finish()


def read_dump_text(text: str, **options) -> Dump:
    """Read a dump given as text (for tests and small snippets)."""
    return read_dump(io.BytesIO(text.encode("utf-8")), **options)


def decode_line(raw: bytes, encoding: str) -> tuple[str, list[tuple[int, str]]]:
    """Decode one line; bytes that are not valid in `encoding` are read as Windows-1252 (or
    Latin-1 where Windows-1252 has no character) and listed as (column, description)."""
    try:
        return raw.decode(encoding), []
    except UnicodeDecodeError:
        pass
    parts: list[str] = []
    bad: list[tuple[int, str]] = []
    size = 0
    pos = 0
    while pos < len(raw):
        try:
            piece = raw[pos:].decode(encoding)
        except UnicodeDecodeError as exc:
            good = raw[pos : pos + exc.start].decode(encoding)
            chunk = raw[pos + exc.start : pos + exc.end]
            guess = "".join(_byte_as_text(b) for b in chunk)
            parts += [good, guess]
            size += len(good)
            bad.append(
                (size, f"bytes {chunk.hex(' ')} are not valid {encoding}; read them as {guess!r}")
            )
            size += len(guess)
            pos += exc.end
        else:
            parts.append(piece)
            break
    return "".join(parts), bad


def _byte_as_text(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(byte)


class _Reader:
    def __init__(self, *, encoding: str, prefix: str | None, keep_unknown: bool) -> None:
        self.encoding = encoding
        self.prefix = prefix
        self.keep_unknown = keep_unknown
        self.tables: dict[str, _Table] = {}
        self.warnings: list[DumpWarning] = []
        self.decode_problems = 0
        self.unread_statements: Counter[str] = Counter()

    # -- reading ------------------------------------------------------------------------------

    def read(self, stream: BinaryIO) -> None:
        splitter = StatementSplitter()
        number = 0
        for number, raw in enumerate(stream, 1):
            line, bad = decode_line(raw, self.encoding)
            if number == 1 and line.startswith("\ufeff"):
                line = line[1:]
            for statement in splitter.feed(line, number, bad):
                self.statement(statement)
        last = splitter.finish()
        if last is not None:
            self.statement(last)

    def statement(self, statement: Statement) -> None:
        word = first_word(statement.text)
        if word in ("INSERT", "REPLACE"):
            self.insert(statement)
        elif word == "CREATE":
            self.create(statement)
        elif word in _IGNORED or not word:
            self.truncated_elsewhere(statement, word or "statement")
        else:
            self.unread_statements[word] += 1
            if self.unread_statements[word] == 1:
                self.warn(
                    f"a {word} statement was not read (only INSERT, REPLACE and CREATE TABLE "
                    "carry an archive's data)",
                    line=statement.line,
                )
            self.truncated_elsewhere(statement, word)
        self.bad_bytes(statement, None, [])

    def truncated_elsewhere(self, statement: Statement, what: str) -> None:
        if statement.truncated:
            self.warn(
                f"the dump ends in the middle of a {what} statement (the file was cut off)",
                line=statement.line,
            )

    def create(self, statement: Statement) -> None:
        parsed = parse_create_table(statement.text)
        if parsed is None:
            return
        name, columns = parsed
        table = self.table(name)
        if statement.truncated or not columns:
            self.warn(
                "the CREATE TABLE statement is cut off; its columns are not used",
                table=name,
                line=statement.line,
            )
            return
        table.created = self.canonical(table.base, columns)

    def insert(self, statement: Statement) -> None:
        try:
            insert = parse_insert_head(statement.text)
        except SqlSyntaxError as exc:
            what = "cut off" if statement.truncated else "malformed"
            self.warn(
                f"{what} INSERT statement skipped: {exc}",
                table=exc.table,
                line=statement.line,
                severity="error",
            )
            return
        table = self.table(insert.table)
        starts: list[int] = []
        try:
            for offset, values in iter_rows(insert):
                table.seen += 1
                starts.append(offset)
                self.add_row(table, insert, values, statement, offset)
        except SqlSyntaxError as exc:
            row = table.seen + 1
            if statement.truncated:
                message = (
                    f"the dump ends in the middle of this row (the file was cut off): {exc}; "
                    f"rows before it are kept"
                )
            else:
                message = f"cannot read this row: {exc}; the rest of this INSERT is skipped"
            self.warn(
                message,
                table=table.name,
                row=row,
                line=statement.line_at(exc.offset),
                severity="error",
            )
        else:
            if statement.truncated:
                self.warn(
                    "the dump ends without the ';' that closes this INSERT; its rows are kept",
                    table=table.name,
                    line=statement.line,
                )
        first_row = table.seen - len(starts) + 1
        self.bad_bytes(statement, table.name, starts, first_row)

    def add_row(
        self, table: _Table, insert: Insert, values: list[Value], statement: Statement, at: int
    ) -> None:
        columns = self.columns_for(table, insert, len(values), statement, at)
        if columns is None:
            return
        row = dict(zip(columns, values, strict=True))
        if table.base is None and not self.keep_unknown:
            return
        table.rows.append(row)

    def columns_for(
        self, table: _Table, insert: Insert, count: int, statement: Statement, at: int
    ) -> tuple[str, ...] | None:
        """The column names for a row of `count` values, or None (and an error) if none fit."""
        if insert.columns is not None:
            columns = self.canonical(table.base, insert.columns)
            source = "the INSERT's column list"
        elif table.created is not None:
            columns = table.created
            source = "the table's CREATE TABLE statement"
        elif table.base is not None:
            found = schema.layout_for(table.base, count)
            if found is None:
                known = sorted({len(c) for c in schema.layouts(table.base)})
                self.warn(
                    f"the row has {count} values, but eFiction's {table.base} table has "
                    f"{' or '.join(map(str, known))} columns and the dump has no CREATE TABLE "
                    "or column list to say which is which; row skipped",
                    table=table.name,
                    row=table.seen,
                    line=statement.line_at(at),
                    severity="error",
                )
                return None
            table.layout = found
            return found
        else:
            return tuple(f"column{i}" for i in range(1, count + 1))
        if len(columns) != count:
            self.warn(
                f"the row has {count} values but {source} names {len(columns)} columns; "
                "row skipped",
                table=table.name,
                row=table.seen,
                line=statement.line_at(at),
                severity="error",
            )
            return None
        return columns

    def bad_bytes(
        self, statement: Statement, table: str | None, starts: list[int], first_row: int = 1
    ) -> None:
        for offset, line, what in statement.bad_bytes:
            self.decode_problems += 1
            if self.decode_problems > _DECODE_WARNINGS_LISTED:
                continue
            row = None
            if starts:
                index = bisect.bisect_right(starts, offset) - 1
                row = first_row + max(index, 0)
            self.warn(what, table=table, row=row, line=line)
        statement.bad_bytes = []

    # -- tables and prefixes ------------------------------------------------------------------

    def table(self, name: str) -> _Table:
        name = unquote_name(name)
        found = self.tables.get(name)
        if found is None:
            found = self.tables[name] = _Table(name, self.base_of(name))
        return found

    def base_of(self, name: str) -> str | None:
        """The eFiction table a full table name stands for, if any."""
        lower = name.lower()
        if self.prefix is not None:
            wanted = self.prefix.lower()
            if lower.startswith(wanted) and lower[len(wanted) :] in schema.COLUMNS:
                return lower[len(wanted) :]
            if lower.endswith("fanfiction_settings"):
                return "settings"  # eFiction's settings may have a prefix of their own
            return None
        matches = [base for base in schema.COLUMNS if lower.endswith(base)]
        return max(matches, key=len) if matches else None

    @staticmethod
    def canonical(base: str | None, columns: list[str]) -> tuple[str, ...]:
        """Column names spelled as eFiction spells them (MySQL ignores their case)."""
        if base is None:
            return tuple(columns)
        known = {c.lower(): c for c in schema.COLUMNS[base]}
        return tuple(known.get(c.lower(), c) for c in columns)

    def choose_prefix(self) -> str | None:
        if self.prefix is not None:
            return self.prefix
        votes: dict[str, set[str]] = {}
        rows: Counter[str] = Counter()
        for table in self.tables.values():
            if table.base is None:
                continue
            candidate = table.name[: len(table.name) - len(table.base)]
            votes.setdefault(candidate.lower(), set()).add(table.base)
            rows[candidate.lower()] += len(table.rows)
        scored = sorted(
            votes,
            key=lambda p: (len(votes[p] & set(schema.CORE_TABLES)), len(votes[p]), rows[p]),
            reverse=True,
        )
        if not scored or not votes[scored[0]] & set(schema.CORE_TABLES):
            self.warn("no eFiction tables (stories, chapters, authors, ...) found in the dump")
            return None
        best = scored[0]
        tied = [
            p
            for p in scored[1:]
            if len(votes[p] & set(schema.CORE_TABLES)) == len(votes[best] & set(schema.CORE_TABLES))
        ]
        if tied:
            names = ", ".join(repr(p) for p in [best, *tied])
            self.warn(
                f"the dump holds eFiction tables with several prefixes ({names}); "
                f"read those with {best!r}; choose another with the prefix option"
            )
        return best

    def finish(self) -> Dump:
        prefix = self.choose_prefix()
        dump = Dump(prefix=prefix, encoding=self.encoding)
        settings_elsewhere = [
            t
            for t in self.tables.values()
            if t.base == "settings" and t.name.lower().endswith("fanfiction_settings")
        ]
        for table in self.tables.values():
            base = table.base
            belongs = (
                base is not None
                and prefix is not None
                and table.name.lower() == prefix.lower() + base
            )
            if not belongs and base == "settings" and prefix is not None:
                # eFiction keeps its settings table under a settings prefix of its own.
                own = prefix.lower() + "settings"
                belongs = own not in {t.name.lower() for t in self.tables.values()} and (
                    len(settings_elsewhere) == 1
                )
            if belongs and base is not None:
                dump.tables[base] = table.rows
                dump.columns[base] = table.created or table.layout or schema.COLUMNS[base]
                continue
            dump.unknown_tables[table.name] = table.seen
            if self.keep_unknown:
                dump.unknown_rows[table.name] = table.rows
            self.warn(
                f"unknown table {table.name}, {table.seen} rows skipped",
                table=table.name,
            )
        extra = self.decode_problems - _DECODE_WARNINGS_LISTED
        if extra > 0:
            self.warn(
                f"{extra} more places had bytes that are not valid {self.encoding} "
                f"(is the dump in another encoding? try --encoding cp1252)"
            )
        dump.warnings = self.warnings
        return dump

    def warn(
        self,
        message: str,
        *,
        table: str | None = None,
        row: int | None = None,
        line: int | None = None,
        severity: str = "warning",
    ) -> None:
        self.warnings.append(DumpWarning(message, table, row, line, severity))
