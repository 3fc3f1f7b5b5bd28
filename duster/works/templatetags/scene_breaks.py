"""{% load scene_breaks %}{{ chapter.body|safe|mark_scene_breaks }}"""

import re
from html import unescape

from django import template

from duster.lib.text import is_scene_break

register = template.Library()

# A paragraph of stored (sanitized) HTML with only text and inline markup in
# it: the sanitizer allows no "class" attribute, so one added here is ours.
# Bounded, so a long chapter costs one linear pass.
_INLINE = r"(?:b|i|em|strong|span|s|u|small|big|center|br)"
_PARAGRAPH = re.compile(
    rf"<p(\s[^>]*)?>((?:[^<]|</?{_INLINE}(?:\s[^>]*)?/?>){{1,80}})</p>",
    re.IGNORECASE,
)
_TAG = re.compile(r"<[^>]*>")


def _mark(match: re.Match[str]) -> str:
    attributes, inner = match.group(1) or "", match.group(2)
    if not is_scene_break(unescape(_TAG.sub("", inner))):
        return match.group(0)
    return f'<p class="scene-break"{attributes}>{inner}</p>'


@register.filter(is_safe=True)
def mark_scene_breaks(html: str) -> str:
    """Stored chapter HTML with paragraphs that are only a scene-break line
    ("* * *", "~o~", "<><><>": the marks plain text turns into <hr>) marked
    `class="scene-break"`, so they look like the <hr> scene breaks. Safe in,
    safe out; anything else is still escaped."""
    return _PARAGRAPH.sub(_mark, str(html))
