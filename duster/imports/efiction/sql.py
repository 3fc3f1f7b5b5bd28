"""Reading MySQL dump text: splitting it into statements and parsing the few statements that
carry an archive's data (INSERT/REPLACE rows and CREATE TABLE column names).

The splitter is fed one decoded line at a time and keeps only the statement being read, so a
dump of any size streams through it. It knows where strings, quoted names and comments begin
and end, so a semicolon inside a chapter's text never ends a statement.

The value parser understands what mysqldump, phpMyAdmin and hand-written dumps put in a VALUES
list: quoted strings with MySQL's backslash escapes and doubled quotes, NULL, integers,
decimals, hex and bit literals and character-set introducers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

Value = str | int | Decimal | bytes | None


class SqlSyntaxError(ValueError):
    """A statement that cannot be read; `offset` is where in the statement text it went wrong."""

    def __init__(self, message: str, offset: int, table: str | None = None) -> None:
        super().__init__(message)
        self.offset = offset
        self.table = table


@dataclass
class Statement:
    """One statement's text (comments removed), the line it starts on, and whether the dump
    ended before its closing semicolon."""

    text: str
    line: int
    truncated: bool = False
    # (offset in text, line number, description) of bytes the decoder could not read.
    bad_bytes: list[tuple[int, int, str]] = field(default_factory=list)

    def line_at(self, offset: int) -> int:
        """The dump line a character of this statement came from."""
        return self.line + self.text.count("\n", 0, offset)


# ---------------------------------------------------------------------------------------------
# Splitting lines into statements

_NORMAL, _SQUOTE, _DQUOTE, _BACKTICK, _COMMENT = range(5)

# What can change the splitter's state outside strings.
_SPECIAL = re.compile(r"""['"`;#]|--(?=[ \t\r\n]|$)|/\*""")
_STRING_BODY = {
    _SQUOTE: re.compile(r"[^'\\]*(?:(?:\\.|'')[^'\\]*)*", re.S),
    _DQUOTE: re.compile(r'[^"\\]*(?:(?:\\.|"")[^"\\]*)*', re.S),
    _BACKTICK: re.compile(r"(?:[^`]+|``)*"),
}
_QUOTE_STATE = {"'": _SQUOTE, '"': _DQUOTE, "`": _BACKTICK}
_CLOSER = {_SQUOTE: "'", _DQUOTE: '"', _BACKTICK: "`"}


class StatementSplitter:
    """Turns dump lines into statements.

    Feed lines (with their line endings) to `feed`, which yields every statement a line
    completes; call `finish` at the end of the dump to get a last statement that lacks its
    semicolon (it comes back with `truncated=True`).

    Comments are dropped. MySQL's executable comments (`/*!40101 SET NAMES utf8 */`) keep their
    content, as MySQL runs it; MariaDB's client commands (`/*M!999999\\- ... */`) are dropped.
    """

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._size = 0
        self._state = _NORMAL
        self._keep_comment = False
        self._start_line = 0
        self._bad: list[tuple[int, int, str]] = []

    def feed(
        self, line: str, number: int, bad: list[tuple[int, str]] | None = None
    ) -> Iterator[Statement]:
        """Read one line; `bad` lists (column, description) of undecodable bytes in it."""
        if bad:
            for column, what in bad:
                self._bad.append((self._size + column, number, what))
        pos = 0
        seg = 0  # start of the slice of `line` not yet added to the statement
        end = len(line)
        while pos < end:
            state = self._state
            if state == _NORMAL:
                m = _SPECIAL.search(line, pos)
                if m is None:
                    break
                tok = m.group()
                if tok == ";":
                    self._add(line[seg : m.start()], number)
                    yield self._emit(truncated=False)
                    pos = seg = m.end()
                elif tok in _QUOTE_STATE:
                    self._state = _QUOTE_STATE[tok]
                    pos = m.end()
                elif tok == "/*":
                    self._add(line[seg : m.start()], number)
                    rest = line[m.end() : m.end() + 2]
                    self._keep_comment = rest.startswith("!") or (
                        rest.startswith("M!") and "\\" not in line[m.end() : m.end() + 12]
                    )
                    self._state = _COMMENT
                    pos = m.end()
                    if self._keep_comment:
                        # Skip "!" or "M!" and the version number after it.
                        v = re.compile(r"M?!\d*").match(line, pos)
                        pos = v.end() if v else pos
                        self._add(" ", number)
                    seg = pos
                else:  # "--" or "#": the rest of the line is a comment
                    self._add(line[seg : m.start()], number)
                    self._add("\n", number)
                    pos = seg = end
            elif state == _COMMENT:
                close = line.find("*/", pos)
                if close < 0:
                    if self._keep_comment:
                        self._add(line[seg:], number)
                    else:
                        self._add("\n" * line.count("\n", pos), number)
                    pos = seg = end
                    break
                if self._keep_comment:
                    self._add(line[seg:close] + " ", number)
                else:
                    self._add(" " + "\n" * line.count("\n", pos, close), number)
                self._state = _NORMAL
                pos = seg = close + 2
            else:
                m = _STRING_BODY[state].match(line, pos)
                pos = m.end() if m else pos
                if pos < end and line[pos] == _CLOSER[state]:
                    self._state = _NORMAL
                    pos += 1
                else:
                    break
        if seg < end:
            self._add(line[seg:], number)

    def finish(self) -> Statement | None:
        """The unfinished last statement, if the dump ended inside one."""
        if self._state == _COMMENT and not self._keep_comment:
            self._state = _NORMAL
        if not "".join(self._parts).strip() and self._state == _NORMAL:
            return None
        return self._emit(truncated=True)

    def _add(self, text: str, number: int) -> None:
        if not text:
            return
        if not self._size:
            if text.isspace():
                return
            self._start_line = number
        self._parts.append(text)
        self._size += len(text)

    def _emit(self, *, truncated: bool) -> Statement:
        text = "".join(self._parts)
        # Leading whitespace was never added, so offsets of bad bytes stay right.
        statement = Statement(text, self._start_line, truncated, self._bad)
        self._parts = []
        self._size = 0
        self._bad = []
        self._state = _NORMAL
        return statement


# ---------------------------------------------------------------------------------------------
# Parsing statements

_IDENT = r"(?:`(?:[^`]|``)+`|\"(?:[^\"]|\"\")+\"|[A-Za-z0-9_$\u0080-\uffff]+)"
_TABLE_NAME = rf"(?P<table>{_IDENT}(?:\s*\.\s*{_IDENT})?)"

_INSERT_HEAD = re.compile(
    r"\s*(?P<verb>INSERT|REPLACE)\b"
    r"(?:\s+(?:LOW_PRIORITY|DELAYED|HIGH_PRIORITY|IGNORE)\b)*"
    r"(?:\s+INTO\b)?\s*" + _TABLE_NAME + r"\s*",
    re.I,
)
_CREATE_HEAD = re.compile(
    r"\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMPORARY\s+)?TABLE\b(?:\s+IF\s+NOT\s+EXISTS\b)?\s*"
    + _TABLE_NAME
    + r"\s*",
    re.I,
)
_VALUES_KEYWORD = re.compile(r"VALUES?\b\s*", re.I)
_SET_KEYWORD = re.compile(r"SET\b\s*", re.I)
_FIRST_WORD = re.compile(r"\s*([A-Za-z]+)")

# One value in a VALUES list, after optional whitespace.
_VALUE = re.compile(
    r"""\s*(?:
      '(?P<sq>[^'\\]*(?:(?:\\.|'')[^'\\]*)*)'
    | "(?P<dq>[^"\\]*(?:(?:\\.|"")[^"\\]*)*)"
    | (?P<num>[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)(?![A-Za-z_])
    | 0x(?P<hex>[0-9A-Fa-f]*)\b
    | [xX]'(?P<xq>[0-9A-Fa-f]*)'
    | [bB]'(?P<bits>[01]*)'
    | (?P<intro>_[A-Za-z0-9]+|[nN](?='))
    | (?P<word>[A-Za-z_]+)
    )""",
    re.X | re.S,
)
_SEPARATOR = re.compile(r"\s*([,)])")
_ROW_START = re.compile(r"\s*\(")
_AFTER_ROW = re.compile(r"\s*(,|$|ON\s+DUPLICATE\b|AS\s)", re.I)
_ESCAPE = re.compile(r"\\(.)|''|\"\"", re.S)
_ESCAPES = {
    "0": "\0",
    "b": "\b",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "Z": "\x1a",
    "%": "\\%",
    "_": "\\_",
}
_WORDS: dict[str, Value] = {"NULL": None, "TRUE": 1, "FALSE": 0}


def _unescape_match(m: re.Match[str]) -> str:
    char = m.group(1)
    if char is None:
        return m.group()[0]  # a doubled quote
    return _ESCAPES.get(char, char)


# Escapes whose meaning does not depend on what surrounds them, for the fast path below.
_SIMPLE_ESCAPES = (
    ("\\n", "\n"),
    ("\\r", "\r"),
    ("\\t", "\t"),
    ("\\'", "'"),
    ('\\"', '"'),
    ("\\0", "\0"),
    ("\\Z", "\x1a"),
    ("\\b", "\b"),
)
_PLACEHOLDER = "\uffff"


def unescape(body: str) -> str:
    """The text of a quoted MySQL string, given what is between its quotes."""
    if "\\" not in body:
        if "''" in body or '""' in body:
            return _ESCAPE.sub(_unescape_match, body)
        return body
    if "''" in body or '""' in body or _PLACEHOLDER in body:
        return _ESCAPE.sub(_unescape_match, body)
    # mysqldump's usual output: only backslash escapes. Chained replaces are much faster than
    # a regex callback; an escaped backslash is parked first so it cannot start an escape.
    text = body.replace("\\\\", _PLACEHOLDER)
    for escape, char in _SIMPLE_ESCAPES:
        if escape in text:
            text = text.replace(escape, char)
    if "\\" in text:
        text = _ESCAPE.sub(_unescape_match, text)
    return text.replace(_PLACEHOLDER, "\\")


def unquote_name(name: str) -> str:
    """A table or column name without its backticks or double quotes; for `db`.`t`, just t."""
    parts = re.findall(_IDENT, name)
    last = parts[-1] if parts else name.strip()
    if last[:1] == "`" and last[-1:] == "`":
        return last[1:-1].replace("``", "`")
    if last[:1] == '"' and last[-1:] == '"':
        return last[1:-1].replace('""', '"')
    return last


def first_word(text: str) -> str:
    """The statement's keyword, upper-cased ("" if none)."""
    m = _FIRST_WORD.match(text)
    return m.group(1).upper() if m else ""


@dataclass
class Insert:
    """An INSERT or REPLACE statement: its table, its column list if it had one, and where in
    the statement text its rows begin."""

    table: str
    columns: list[str] | None
    text: str
    rows_at: int
    set_form: bool = False


def parse_insert_head(text: str) -> Insert:
    """Read `INSERT [IGNORE] INTO t [(a, b)] VALUES` up to the first row."""
    m = _INSERT_HEAD.match(text)
    if not m:
        raise SqlSyntaxError("cannot find the table name of this INSERT", 0)
    table = unquote_name(m.group("table"))
    pos = m.end()
    columns: list[str] | None = None
    if text.startswith("(", pos):
        close = text.find(")", pos)
        if close < 0:
            raise SqlSyntaxError("unclosed column list", pos, table)
        columns = [unquote_name(c) for c in text[pos + 1 : close].split(",") if c.strip()]
        pos = close + 1
        while pos < len(text) and text[pos].isspace():
            pos += 1
    v = _VALUES_KEYWORD.match(text, pos)
    if v:
        return Insert(table, columns, text, v.end())
    s = _SET_KEYWORD.match(text, pos)
    if s and columns is None:
        return Insert(table, None, text, s.end(), set_form=True)
    word = first_word(text[pos:]) or "nothing"
    raise SqlSyntaxError(f"expected VALUES after the table name, found {word}", pos, table)


def _read_value(text: str, pos: int) -> tuple[Value, int]:
    m = _VALUE.match(text, pos)
    if not m:
        snippet = text[pos : pos + 30].strip()
        raise SqlSyntaxError(f"cannot read a value at {snippet!r}", pos)
    kind = m.lastgroup
    if kind == "sq" or kind == "dq":
        return unescape(m.group(kind)), m.end()
    if kind == "num":
        number = m.group("num")
        if "." in number or "e" in number or "E" in number:
            return Decimal(number), m.end()
        return int(number), m.end()
    if kind == "hex" or kind == "xq":
        digits = m.group(kind)
        return bytes.fromhex(digits if len(digits) % 2 == 0 else "0" + digits), m.end()
    if kind == "bits":
        return int(m.group("bits") or "0", 2), m.end()
    if kind == "intro":
        value, end = _read_value(text, m.end())
        if m.group("intro").lower() == "_binary" and isinstance(value, str):
            return value.encode("utf-8", "surrogateescape"), end
        return value, end
    word = m.group("word").upper()
    if word in _WORDS:
        return _WORDS[word], m.end()
    raise SqlSyntaxError(f"unexpected word {m.group('word')!r} where a value should be", pos)


# The common values (strings, numbers, NULL) with the ',' or ')' after them, in one match.
_VALUE_THEN_SEPARATOR = re.compile(
    r"""\s*(?:
      '(?P<sq>[^'\\]*(?:(?:\\.|'')[^'\\]*)*)'
    | (?P<num>-?\d+)
    | (?P<null>NULL)
    )\s*(?P<sep>[,)])""",
    re.X | re.S,
)


def iter_rows(insert: Insert) -> Iterator[tuple[int, list[Value]]]:
    """Yield (offset, values) for each row of an INSERT, in order.

    Raises SqlSyntaxError at the first row that cannot be read; the rows before it have
    already been yielded.
    """
    text = insert.text
    pos = insert.rows_at
    if insert.set_form:
        yield pos, _read_set_list(insert, pos)
        return
    end = len(text)
    fast = _VALUE_THEN_SEPARATOR.match
    while True:
        start = _ROW_START.match(text, pos)
        if not start:
            raise SqlSyntaxError("expected '(' to start a row", pos)
        row_at = start.start()
        pos = start.end()
        values: list[Value] = []
        if (close := _SEPARATOR.match(text, pos)) and close.group(1) == ")":
            pos = close.end()  # an empty row "()"
        else:
            while True:
                m = fast(text, pos)
                if m is not None:
                    string, number, _null, sep = m.groups()
                    if string is not None:
                        values.append(unescape(string))
                    elif number is not None:
                        values.append(int(number))
                    else:
                        values.append(None)
                    pos = m.end()
                    if sep == ")":
                        break
                    continue
                value, pos = _read_value(text, pos)
                values.append(value)
                sep = _SEPARATOR.match(text, pos)
                if not sep:
                    snippet = text[pos : pos + 30].strip()
                    raise SqlSyntaxError(f"expected ',' or ')' after a value, not {snippet!r}", pos)
                pos = sep.end()
                if sep.group(1) == ")":
                    break
        yield row_at, values
        after = _AFTER_ROW.match(text, pos)
        if not after:
            snippet = text[pos : pos + 30].strip()
            raise SqlSyntaxError(f"unexpected {snippet!r} after a row", pos)
        if after.group(1) != ",":
            return
        pos = after.end()
        if pos >= end:
            raise SqlSyntaxError("the statement ends after a comma", pos)


def _read_set_list(insert: Insert, pos: int) -> list[Value]:
    """`INSERT INTO t SET a = 1, b = 'x'`: fills insert.columns and returns the values."""
    text = insert.text
    columns: list[str] = []
    values: list[Value] = []
    name_re = re.compile(r"\s*(" + _IDENT + r")\s*=")
    while True:
        m = name_re.match(text, pos)
        if not m:
            raise SqlSyntaxError("expected 'column = value' in INSERT ... SET", pos)
        columns.append(unquote_name(m.group(1)))
        value, pos = _read_value(text, m.end())
        values.append(value)
        rest = re.compile(r"\s*(,|$)").match(text, pos)
        if not rest:
            raise SqlSyntaxError("unexpected text in INSERT ... SET", pos)
        if rest.group(1) != ",":
            insert.columns = columns
            return values
        pos = rest.end()


_NOT_COLUMNS = {
    "PRIMARY",
    "KEY",
    "INDEX",
    "UNIQUE",
    "FULLTEXT",
    "SPATIAL",
    "CONSTRAINT",
    "FOREIGN",
    "CHECK",
    "PERIOD",
}


def parse_create_table(text: str) -> tuple[str, list[str]] | None:
    """The table name and its column names in order, or None if this is not a CREATE TABLE
    with a column list (e.g. `CREATE TABLE t LIKE u`)."""
    m = _CREATE_HEAD.match(text)
    if not m or not text.startswith("(", m.end()):
        return None
    table = unquote_name(m.group("table"))
    columns: list[str] = []
    for part in _split_top_level(text, m.end() + 1):
        word = re.match(r"\s*(" + _IDENT + ")", part)
        if not word:
            continue
        name = word.group(1)
        if name[0] not in '`"' and name.upper() in _NOT_COLUMNS:
            continue
        columns.append(unquote_name(name))
    return table, columns


def _split_top_level(text: str, pos: int) -> list[str]:
    """Split a parenthesised definition list at its top-level commas."""
    parts: list[str] = []
    depth = 0
    start = pos
    token = re.compile(r"""'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*"|`(?:[^`]|``)*`|[(),]""", re.S)
    for m in token.finditer(text, pos):
        tok = m.group()
        if tok == "(":
            depth += 1
        elif tok == ")":
            if depth == 0:
                parts.append(text[start : m.start()])
                return parts
            depth -= 1
        elif tok == "," and depth == 0:
            parts.append(text[start : m.start()])
            start = m.end()
    parts.append(text[start:])
    return parts
