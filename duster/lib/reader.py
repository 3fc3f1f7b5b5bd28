"""Reader settings: how the story text and the pages look to one reader.

A member keeps them in their preferences (duster.accounts); a guest in the
`duster_reader` cookie, a short string like `theme:dark&size:l` naming only
what differs from the defaults. They reach the page as attributes on
`<html>` (`data-theme`, `data-story-font`, `data-story-size`, …) that the
stylesheet maps onto its custom properties: no JavaScript, and no `style`
attribute (the Content Security Policy allows none on the page itself).

The cookie is read leniently: an unknown key, an unknown value or plain
garbage is ignored, so a reader with a broken cookie gets the defaults for
whatever was broken and nothing worse.
"""

from dataclasses import dataclass, fields, replace
from typing import Any

COOKIE_NAME = "duster_reader"
COOKIE_MAX_AGE = 365 * 24 * 60 * 60
# Far more than the longest valid value; anything longer is not read at all.
COOKIE_MAX_LENGTH = 200

THEMES = [("auto", "Auto (device)"), ("light", "Light"), ("dark", "Dark")]
STORY_FONTS = [("serif", "Serif"), ("sans", "Sans serif")]
STORY_SIZES = [
    ("s", "Small"),
    ("m", "Medium"),
    ("l", "Large"),
    ("xl", "Larger"),
    ("xxl", "Largest"),
]
STORY_LEADINGS = [("normal", "Normal"), ("relaxed", "Relaxed"), ("loose", "Loose")]
STORY_WIDTHS = [("narrow", "Narrow"), ("normal", "Normal"), ("wide", "Wide")]
FULL_WORK_CHOICES = [("0", "Chapter by chapter"), ("1", "Entire work")]

# The setting's name, its short key in the cookie, its label, its choices.
SETTINGS: list[tuple[str, str, str, list[tuple[str, str]]]] = [
    ("theme", "theme", "Theme", THEMES),
    ("story_font", "font", "Font", STORY_FONTS),
    ("story_size", "size", "Text size", STORY_SIZES),
    ("story_leading", "leading", "Line spacing", STORY_LEADINGS),
    ("story_width", "width", "Text width", STORY_WIDTHS),
    ("full_work", "work", "Show a work", FULL_WORK_CHOICES),
]
_BY_KEY = {key: (name, dict(choices)) for name, key, _, choices in SETTINGS}


@dataclass(frozen=True)
class ReaderSettings:
    """One reader's choices; the defaults are the comfortable ones (about
    65 to 75 characters a line, line height over 1.5)."""

    theme: str = "auto"
    story_font: str = "serif"
    story_size: str = "m"
    story_leading: str = "normal"
    story_width: str = "normal"
    full_work: bool = False

    def value(self, name: str) -> str:
        """The setting as a form value ("0"/"1" for full_work)."""
        current = getattr(self, name)
        if isinstance(current, bool):
            return "1" if current else "0"
        return current

    def updated(self, changes: dict[str, Any]) -> "ReaderSettings":
        """These settings with the valid ones of `changes` (form values,
        by setting name) applied; unknown names and values are ignored."""
        valid: dict[str, Any] = {}
        for name, _, _, choices in SETTINGS:
            value = changes.get(name)
            if value is None or value == "":
                continue
            if isinstance(value, bool):
                value = "1" if value else "0"
            if value in dict(choices):
                valid[name] = value == "1" if name == "full_work" else value
        return replace(self, **valid)

    def as_cookie(self) -> str:
        """The cookie value: what differs from the defaults, in a fixed order,
        so equal settings always give the same string (the page cache keys on
        it). Only characters a cookie carries unquoted."""
        default = DEFAULT
        parts = [
            f"{key}:{self.value(name)}"
            for name, key, _, _ in SETTINGS
            if getattr(self, name) != getattr(default, name)
        ]
        return "&".join(parts)

    def options(self) -> list[dict[str, Any]]:
        """For templates: each setting with its label, choices and current value."""
        return [
            {
                "name": name,
                "label": label,
                "value": self.value(name),
                "choices": choices,
            }
            for name, _, label, choices in SETTINGS
        ]


DEFAULT = ReaderSettings()
SETTING_NAMES = [f.name for f in fields(ReaderSettings)]


def parse_cookie(raw: str | None) -> ReaderSettings:
    """Settings from a cookie value; whatever can't be read is the default."""
    if not raw or len(raw) > COOKIE_MAX_LENGTH:
        return DEFAULT
    changes: dict[str, str] = {}
    for part in raw.split("&"):
        key, _, value = part.partition(":")
        known = _BY_KEY.get(key)
        if known is not None and value in known[1]:
            changes[known[0]] = value
    return DEFAULT.updated(changes)


def normalise_cookie(raw: str | None) -> str:
    """The canonical form of a cookie value: two cookies that show the same
    page give the same string (for cache keys)."""
    return parse_cookie(raw).as_cookie()


def settings_for(request) -> ReaderSettings:
    """The reader's settings: a member's preferences, else the guest's cookie.
    Worked out once per request."""
    cached = getattr(request, "_reader_settings", None)
    if cached is not None:
        return cached
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        settings = DEFAULT.updated(
            {name: getattr(user, f"reader_{name}", None) for name in SETTING_NAMES}
        )
    else:
        settings = parse_cookie(request.COOKIES.get(COOKIE_NAME))
    request._reader_settings = settings
    return settings


def set_cookie(response, settings: ReaderSettings, *, secure: bool) -> None:
    """Remember a guest's settings (or forget them, when all are defaults).
    Not HttpOnly-sensitive, but no script needs it, so HttpOnly anyway."""
    value = settings.as_cookie()
    if not value:
        response.delete_cookie(COOKIE_NAME, samesite="Lax")
        return
    response.set_cookie(
        COOKIE_NAME,
        value,
        max_age=COOKIE_MAX_AGE,
        samesite="Lax",
        secure=secure,
        httponly=True,
    )


def context(request) -> dict[str, Any]:
    """Context processor: `reader`, the settings of whoever asks."""
    return {"reader": settings_for(request)}
