"""Reading forms back out of rendered pages, as a browser would."""

import re
from html import unescape
from html.parser import HTMLParser


def errors_at(response, field: str) -> str:
    """The text of the error shown in the field's own group (forms/field.html)."""
    html = response.content.decode()
    match = re.search(rf'<p class="error" id="id_{field}_error">(.*?)</p>', html, re.S)
    assert match, f"no error beside the {field!r} field"
    assert f'aria-describedby="id_{field}_error"' in html or re.search(
        rf'aria-describedby="[^"]*\bid_{field}_error\b', html
    ), f"the {field!r} field does not point at its errors"
    text = re.sub(r'<span class="visually-hidden">Error: </span>', "", match.group(1))
    return unescape(re.sub(r"<[^>]+>", "", text))


class _FormReader(HTMLParser):
    """Collects what a page's form fields hold: input values (checked ones for
    boxes), textarea contents and selected options."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.values: dict[str, list[str]] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name:
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                return
            if attrs.get("type") == "file":
                return
            self.values.setdefault(name, []).append(attrs.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values.setdefault(name, []).append("")
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.values.setdefault(self._select, []).append(attrs.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea][-1] += data


def form_values(response) -> dict[str, list[str]]:
    """Field name -> the values the page's forms hold (as a browser would send)."""
    reader = _FormReader()
    reader.feed(response.content.decode())
    # A textarea's first newline is not part of its value (HTML parsing rule).
    return {
        name: [v[1:] if v.startswith("\n") else v for v in values]
        for name, values in reader.values.items()
    }
