"""URL helpers: a path converter for database ids, and reverse() for the
links a list page prints hundreds of times (every work, creator and tag of
every blurb)."""

import functools
from urllib.parse import quote

from django.urls import register_converter, reverse
from django.utils.http import url_has_allowed_host_and_scheme

# Ids are signed 64-bit integers (BigAutoField) in every database Duster runs on.
MAX_ID = 2**63 - 1


def parse_id(value: object) -> int | None:
    """An id (or a place in a list) typed as ASCII digits, if it fits a 64-bit
    column; else None. Neither str.isdigit() nor int() alone will do: "²" is a
    digit to the one and not to the other, and int() refuses 5,000 digits."""
    text = str(value)
    if not (0 < len(text) <= 19 and text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if number <= MAX_ID else None


class IdConverter:
    """`<id:pk>`: like `<int:pk>`, but an id no database can hold is a 404
    instead of an overflow inside the query."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = parse_id(value)
        if number is None:
            raise ValueError(f"{value!r} is not a database id")
        return number

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")

# Digits pass every path converter Duster's URLs use (id, int, str, slug).
_MARK = "7031964"
# What reverse() leaves unquoted in a path.
_SAFE = "!$&'()*+,;=/~:@"


@functools.cache
def _template(name: str, arity: int) -> tuple[str, list[str]]:
    marks = [f"{_MARK}{i}" for i in range(arity)]
    return reverse(name, args=marks), marks


def fast_reverse(name: str, *args) -> str:
    """reverse(name, args=args), resolving each URL name once per process.
    The script prefix is read on that first call: one deployment has one."""
    path, marks = _template(name, len(args))
    for mark, arg in zip(marks, args, strict=True):
        path = path.replace(mark, quote(str(arg), safe=_SAFE), 1)
    return path


def local_or(request, target: str, default: str) -> str:
    """`target` when it is a path on this site (a form's `next`), else
    `default`: a redirect never leads a visitor elsewhere."""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
