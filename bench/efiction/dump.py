"""Reading a mysqldump of an eFiction archive without a database: each
table's columns and rows, with MySQL's string escapes undone."""

import re
from pathlib import Path

_ESCAPES = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a"}
_CREATE = re.compile(r"^CREATE TABLE `(\w+)` \($")
_COLUMN = re.compile(r"^\s+`(\w+)` ")
_INSERT = re.compile(r"^INSERT INTO `(\w+)` VALUES ")
_NUMBER = re.compile(r"NULL|-?[\d.]+(?:[eE][-+]?\d+)?")


def _values(text: str, start: int) -> list[list[object]]:
    """The row tuples of one INSERT statement from `start`: strings, ints,
    floats and None."""
    rows: list[list[object]] = []
    row: list[object] = []
    i = start
    while i < len(text):
        char = text[i]
        if char == "(":
            row = []
        elif char == ")":
            rows.append(row)
        elif char == ";":
            break
        elif char == "'":
            out = []
            i += 1
            while True:
                char = text[i]
                if char == "\\":
                    following = text[i + 1]
                    out.append(_ESCAPES.get(following, following))
                    i += 2
                elif char == "'" and text[i + 1 : i + 2] == "'":
                    out.append("'")
                    i += 2
                elif char == "'":
                    break
                else:
                    out.append(char)
                    i += 1
            row.append("".join(out))
        elif char not in ", \n":
            match = _NUMBER.match(text, i)
            if not match:
                raise ValueError(f"unexpected {text[i : i + 20]!r} in an INSERT")
            token = match[0]
            row.append(None if token == "NULL" else float(token) if "." in token else int(token))
            i = match.end() - 1
        i += 1
    return rows


def read_dump(path: Path) -> tuple[dict[str, list[str]], dict[str, list[dict]]]:
    """(columns of each table, rows of each table as dicts) from a dump made
    with mysqldump (one or several rows per INSERT)."""
    text = path.read_text(encoding="utf-8")
    columns: dict[str, list[str]] = {}
    rows: dict[str, list[dict]] = {}
    table = None
    position = 0
    for line in text.splitlines(keepends=True):
        created = _CREATE.match(line)
        if created:
            table = created[1]
            columns[table] = []
        elif table and line.startswith(")"):
            table = None
        elif table and _COLUMN.match(line):
            columns[table].append(_COLUMN.match(line)[1])
        inserted = _INSERT.match(line)
        if inserted:
            name = inserted[1]
            for values in _values(text, position + inserted.end()):
                rows.setdefault(name, []).append(dict(zip(columns[name], values, strict=True)))
        position += len(line)
    return columns, rows
