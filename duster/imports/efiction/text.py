"""Helpers for the values eFiction stores: dates in two storages, comma-separated id lists,
PHP's extra backslashes and text that was stored double-encoded.

They work on single values and know nothing about Duster's models, so the importer can call
them row by row.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from datetime import UTC, datetime, tzinfo
from decimal import Decimal

# ---------------------------------------------------------------------------------------------
# Dates

_DATETIME = re.compile(
    r"\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.\d+)?)?)?\s*$"
)


def parse_date(value: object, *, tz: tzinfo = UTC) -> datetime | None:
    """An aware UTC datetime for an eFiction date, or None when there is none.

    eFiction 3.5.6 and later store Unix timestamps (integers, or digits in a string when a dump
    quotes every value); older versions store DATETIME text like '2008-11-12 20:10:00', which
    MySQL keeps without a time zone: `tz` says which zone it was written in (UTC by default).
    Zero dates ('0000-00-00 00:00:00', 0, '') mean "no date". Anything else that is not a date
    raises ValueError.
    """
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if isinstance(value, bool):
        raise ValueError(f"not a date: {value!r}")
    if isinstance(value, int | Decimal | float):
        return _from_timestamp(int(value))
    if not isinstance(value, str):
        raise ValueError(f"not a date: {value!r}")
    text = value.strip()
    if not text:
        return None
    if re.fullmatch(r"-?\d+", text):
        return _from_timestamp(int(text))
    m = _DATETIME.match(text)
    if not m:
        raise ValueError(f"not a date: {value!r}")
    year, month, day, hour, minute, second = (int(g) if g else 0 for g in m.groups())
    if year == 0 or month == 0 or day == 0:
        return None
    try:
        moment = datetime(year, month, day, hour, minute, second, tzinfo=tz)
    except ValueError as exc:
        raise ValueError(f"not a date: {value!r} ({exc})") from None
    return moment.astimezone(UTC)


def _from_timestamp(seconds: int) -> datetime | None:
    if seconds <= 0:
        return None
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"not a date: timestamp {seconds} is out of range") from None


# ---------------------------------------------------------------------------------------------
# Id lists


def id_list(value: object) -> list[int]:
    """The ids in an eFiction comma-separated list ("1,4,7", ",3,", "0", "" or an int).

    eFiction writes 0 or -1 for "none", so only positive ids are returned, each once, in the
    order they appear. Pieces that are not numbers are skipped.
    """
    if value is None:
        return []
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if isinstance(value, int):
        return [value] if value > 0 else []
    ids: list[int] = []
    for piece in str(value).split(","):
        piece = piece.strip()
        if piece.isdigit():
            number = int(piece)
            if number > 0 and number not in ids:
                ids.append(number)
    return ids


# ---------------------------------------------------------------------------------------------
# Text


def as_int(value: object, default: int = 0) -> int:
    """A value as an integer: dumps made by phpMyAdmin quote numbers ('12'), mysqldump does
    not (12). Empty, NULL and non-numbers give `default`."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        return int(value)
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    return default


def as_text(value: object, encoding: str = "utf-8") -> str:
    """A value as text: None is "", numbers are their digits, bytes are decoded."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode(encoding, "replace")
    return str(value)


def strip_slashes(text: str) -> str:
    """Undo PHP's addslashes(), as eFiction's stripslashes() does when it shows series titles
    and summaries (they are stored with one backslash too many: "Odile\\'s Casebook")."""
    if "\\" not in text:
        return text
    return re.sub(r"\\(.?)", lambda m: "" if m.group(1) == "0" else m.group(1), text, flags=re.S)


# Characters that a byte 0x80-0xFF becomes when UTF-8 bytes are wrongly read as Windows-1252
# (or Latin-1, for the bytes Windows-1252 leaves undefined).
_TO_BYTE: dict[str, int] = {chr(b): b for b in range(256)}
for _b in range(0x80, 0xA0):
    with contextlib.suppress(UnicodeDecodeError):
        _TO_BYTE[bytes([_b]).decode("cp1252")] = _b
_CONT = "[" + "".join(re.escape(c) for c, b in _TO_BYTE.items() if 0x80 <= b <= 0xBF) + "]"
# A whole UTF-8 sequence seen through Windows-1252: a lead byte and its continuation bytes.
_SEQUENCE = re.compile(
    "[\u00c2-\u00df]" + _CONT + "|[\u00e0-\u00ef]" + _CONT + "{2}|[\u00f0-\u00f4]" + _CONT + "{3}"
)
# Two-byte leads whose characters really occur in mis-decoded text: Latin-1 and Latin
# Extended-A letters and punctuation (Â Ã Ä Å), Greek (Î Ï), Cyrillic (Ð Ñ Ò Ó), Hebrew and
# Arabic (× Ø Ù Ú Û). Other leads make rare characters, so "É—" in real text stays as it is.
_LIKELY_LEADS = set("ÂÃÄÅÎÏÐÑÒÓ×ØÙÚÛ")
_C1_CONTROL = re.compile("[\u0080-\u009f]")


def mojibake_markers(text: str) -> int:
    """How many UTF-8 sequences read as Windows-1252 (like 'Ã©' or 'â€™') the text holds."""
    return len(_SEQUENCE.findall(text))


def _repair_sequence(m: re.Match[str]) -> str:
    seen = m.group()
    if len(seen) == 2 and seen[0] not in _LIKELY_LEADS:
        return seen
    try:
        char = bytes(_TO_BYTE[c] for c in seen).decode("utf-8")
    except UnicodeDecodeError:
        return seen
    if unicodedata.category(char) in ("Cc", "Cs", "Co", "Cn"):
        return seen
    return char


def _c1_as_cp1252(m: re.Match[str]) -> str:
    try:
        return bytes([ord(m.group())]).decode("cp1252")
    except UnicodeDecodeError:
        return m.group()


def repair_double_encoding(text: str) -> str:
    """Repair text whose UTF-8 bytes were once read as Windows-1252/Latin-1 and stored again
    as UTF-8 ("cafÃ©" → "café", "â€™" → "’"), but only where the repair is clearly right.

    Each mis-read sequence is repaired on its own, so text that mixes repaired and real
    accented letters comes out right; a sequence is left alone unless it decodes to a
    printable character. The text is returned unchanged unless the repair leaves fewer
    markers than before. Plain Latin-1 text such as "café" and CJK text have no markers and
    are never touched. Text that was encoded twice over is repaired twice. Windows-1252
    punctuation stored as C1 control characters (U+0080-U+009F) becomes the punctuation it was.
    """
    if text.isascii():
        return text
    current = text
    for _ in range(3):
        before = mojibake_markers(current)
        if not before:
            break
        repaired = _SEQUENCE.sub(_repair_sequence, current)
        if mojibake_markers(repaired) >= before:
            break
        current = repaired
    if _C1_CONTROL.search(current) and not mojibake_markers(current):
        current = _C1_CONTROL.sub(_c1_as_cp1252, current)
    return current
