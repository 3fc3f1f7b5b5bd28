"""Outside image hosts: how the admin writes them, and whether a URL is on one.

A host goes into the Content-Security-Policy header as `https://<host>`, so
only a plain host name may pass (letters, digits, dashes, dots, an optional
leading `*.`): nothing that could end a directive or add a source.
"""

import re
from collections.abc import Iterable

from django.core.exceptions import ValidationError

MAX_HOSTS = 100
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
# Two labels at least: "i.imgur.com", "*.googleusercontent.com", not "com" or "*".
HOST = re.compile(rf"(?:\*\.)?(?:{_LABEL}\.)+{_LABEL}")


def normalize_host(entry: str) -> str:
    """One host as the admin typed it ("i.imgur.com", "https://I.Imgur.com/",
    "*.example.org", "пример.рф") in the form the policy holds: lower case,
    ASCII (punycode), no scheme. ValueError with a message when it is not one."""
    text = entry.strip()
    lowered = text.lower()
    if lowered.startswith("http://"):
        raise ValueError(f"“{entry}”: only https hosts can be allowed; write it without http://.")
    if lowered.startswith("https://"):
        text = text[len("https://") :]
    text = text.removesuffix("/")
    wildcard = text.startswith("*.")
    name = text[2:] if wildcard else text
    try:
        ascii_name = name.encode("idna").decode("ascii").lower()
    except UnicodeError:
        ascii_name = ""
    host = ("*." if wildcard else "") + ascii_name
    if not HOST.fullmatch(host):
        raise ValueError(
            f"“{entry}” is not a host name. Write one host per line, like i.imgur.com "
            "or *.example.org (no path, no port)."
        )
    return host


def parse_hosts(text: str) -> list[str]:
    """The hosts in the admin's text (one per line, or separated by spaces or
    commas), normalized, without repeats. ValidationError naming every bad one."""
    hosts: list[str] = []
    errors: list[str] = []
    for entry in re.split(r"[\s,]+", text or ""):
        if not entry:
            continue
        try:
            host = normalize_host(entry)
        except ValueError as error:
            errors.append(str(error))
            continue
        if host not in hosts:
            hosts.append(host)
    if len(hosts) > MAX_HOSTS:
        errors.append(f"At most {MAX_HOSTS} hosts can be allowed.")
    if errors:
        raise ValidationError(errors)
    return hosts


def host_allowed(host: str, allowed: Iterable[str]) -> bool:
    """Whether `host` (lower case, ASCII) is one of `allowed`, matched as the
    CSP does: "*.example.org" covers "a.example.org", not "example.org"."""
    for entry in allowed:
        if entry.startswith("*."):
            if host.endswith(entry[1:]) and len(host) > len(entry) - 1:
                return True
        elif host == entry:
            return True
    return False
