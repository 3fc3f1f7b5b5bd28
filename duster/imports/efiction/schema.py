"""Facts about eFiction 3.x's tables: each table's columns in the order eFiction creates them.

A dump without CREATE TABLE statements (and with INSERTs that name no columns) only makes sense
with these orders. They are taken from eFiction 3.5.8's installer, with the layouts that older
3.x archives and eFiction's own upgrade scripts leave behind:

- before 3.2, `inseries` still had an `updated` column and `news`, `series` and `pagelinks`
  lacked `comments`, `numstories` and `link_key`;
- before 3.4, `authorprefs` lacked `stories`;
- the challenges module adds `challenges` to `stories` and `series`;
- the 3.5.6 upgrade turned DATETIME columns into Unix integers and left a `<column>_backup`
  copy at the end of the table.

Table names here are without any prefix: eFiction names a table `<tableprefix>fanfiction_` plus
the name, so in a dump `stories` may appear as `fanfiction_stories`, `efic_fanfiction_stories`
or, in archives renamed by hand, `efic_stories`.
"""

from __future__ import annotations

# The columns of every eFiction 3.5.8 table, in installer order.
COLUMNS: dict[str, tuple[str, ...]] = {
    "authorfields": (
        "field_id",
        "field_type",
        "field_name",
        "field_title",
        "field_options",
        "field_code_in",
        "field_code_out",
        "field_on",
    ),
    "authorinfo": ("uid", "field", "info"),
    "authorprefs": (
        "uid",
        "newreviews",
        "newrespond",
        "ageconsent",
        "alertson",
        "tinyMCE",
        "sortby",
        "storyindex",
        "validated",
        "userskin",
        "level",
        "categories",
        "contact",
        "stories",
    ),
    "authors": (
        "uid",
        "penname",
        "realname",
        "email",
        "bio",
        "image",
        "date",
        "admincreated",
        "password",
    ),
    "blocks": (
        "block_id",
        "block_name",
        "block_title",
        "block_file",
        "block_status",
        "block_variables",
    ),
    "categories": (
        "catid",
        "parentcatid",
        "category",
        "description",
        "image",
        "locked",
        "leveldown",
        "displayorder",
        "numitems",
    ),
    "chapters": (
        "chapid",
        "title",
        "inorder",
        "notes",
        "storytext",
        "endnotes",
        "validated",
        "wordcount",
        "rating",
        "reviews",
        "sid",
        "uid",
        "count",
    ),
    "characters": ("charid", "catid", "charname", "bio", "image"),
    "classes": ("class_id", "class_type", "class_name"),
    "classtypes": ("classtype_id", "classtype_name", "classtype_title"),
    "coauthors": ("sid", "uid"),
    "codeblocks": ("code_id", "code_text", "code_type", "code_module"),
    "comments": ("cid", "nid", "uid", "comment", "time"),
    "favorites": ("uid", "item", "type", "comments"),
    "inseries": ("seriesid", "sid", "subseriesid", "confirmed", "inorder"),
    "log": ("log_id", "log_action", "log_uid", "log_ip", "log_timestamp", "log_type"),
    "messages": ("message_id", "message_name", "message_title", "message_text"),
    "modules": ("id", "name", "version"),
    "news": ("nid", "author", "title", "story", "time", "comments"),
    "pagelinks": (
        "link_id",
        "link_name",
        "link_text",
        "link_key",
        "link_url",
        "link_target",
        "link_access",
    ),
    "panels": (
        "panel_id",
        "panel_name",
        "panel_title",
        "panel_url",
        "panel_level",
        "panel_order",
        "panel_hidden",
        "panel_type",
    ),
    "ratings": ("rid", "rating", "ratingwarning", "warningtext"),
    "reviews": (
        "reviewid",
        "item",
        "chapid",
        "reviewer",
        "uid",
        "review",
        "date",
        "rating",
        "respond",
        "type",
    ),
    "series": (
        "seriesid",
        "title",
        "summary",
        "uid",
        "isopen",
        "catid",
        "rating",
        "classes",
        "characters",
        "reviews",
        "numstories",
        "challenges",
    ),
    "stats": (
        "sitekey",
        "stories",
        "chapters",
        "series",
        "reviews",
        "wordcount",
        "authors",
        "members",
        "reviewers",
        "newestmember",
    ),
    "stories": (
        "sid",
        "title",
        "summary",
        "storynotes",
        "catid",
        "classes",
        "charid",
        "rid",
        "date",
        "updated",
        "uid",
        "coauthors",
        "featured",
        "validated",
        "completed",
        "rr",
        "wordcount",
        "rating",
        "reviews",
        "count",
    ),
    "settings": (
        "sitekey",
        "sitename",
        "slogan",
        "url",
        "siteemail",
        "tableprefix",
        "skin",
        "hiddenskins",
        "language",
        "submissionsoff",
        "storiespath",
        "store",
        "autovalidate",
        "coauthallowed",
        "maxwords",
        "minwords",
        "imageupload",
        "imageheight",
        "imagewidth",
        "roundrobins",
        "allowseries",
        "tinyMCE",
        "allowed_tags",
        "favorites",
        "multiplecats",
        "newscomments",
        "logging",
        "maintenance",
        "debug",
        "captcha",
        "dateformat",
        "timeformat",
        "recentdays",
        "displaycolumns",
        "itemsperpage",
        "extendcats",
        "displayindex",
        "defaultsort",
        "displayprofile",
        "linkstyle",
        "linkrange",
        "reviewsallowed",
        "ratings",
        "anonreviews",
        "revdelete",
        "rateonly",
        "pwdsetting",
        "alertson",
        "disablepopups",
        "agestatement",
        "words",
        "version",
        "smtp_host",
        "smtp_username",
        "smtp_password",
    ),
    # Tables of the modules and blocks that ship with eFiction.
    "challenges": (
        "chalid",
        "challenger",
        "uid",
        "title",
        "catid",
        "characters",
        "summary",
        "responses",
    ),
    "online": ("online_uid", "online_ip", "online_timestamp"),
    "poll": ("poll_id", "poll_question", "poll_opts", "poll_start", "poll_end", "poll_results"),
    "poll_votes": ("vote_id", "vote_user", "vote_opt", "vote_poll"),
    "shoutbox": ("shout_id", "shout_name", "shout_message", "shout_datestamp"),
}

# Table names that say "this is an eFiction database", used to find a dump's table prefix.
CORE_TABLES = (
    "authors",
    "authorprefs",
    "categories",
    "chapters",
    "characters",
    "classes",
    "classtypes",
    "coauthors",
    "favorites",
    "inseries",
    "ratings",
    "reviews",
    "series",
    "stories",
)


def _without(table: str, *drop: str) -> tuple[str, ...]:
    return tuple(c for c in COLUMNS[table] if c not in drop)


def _inserted(columns: tuple[str, ...], after: str, *added: str) -> tuple[str, ...]:
    at = columns.index(after) + 1
    return columns[:at] + added + columns[at:]


# Column orders other eFiction 3.x archives have, besides the current one. Older layouts come
# from eFiction's upgrade scripts and from the table list in its docs folder.
_OTHER_LAYOUTS: dict[str, list[tuple[str, ...]]] = {
    # Before 3.4 there was no `stories` count.
    "authorprefs": [_without("authorprefs", "stories")],
    # Early 3.x kept the web site in `authors`; the 3.5.6 upgrade leaves `date_backup`.
    "authors": [
        _inserted(COLUMNS["authors"], "email", "website"),
        COLUMNS["authors"] + ("date_backup",),
        _inserted(COLUMNS["authors"], "email", "website") + ("date_backup",),
    ],
    "comments": [COLUMNS["comments"] + ("time_backup",)],
    # Before 3.2, `inseries` had an `updated` column.
    "inseries": [COLUMNS["inseries"] + ("updated",)],
    "news": [
        _without("news", "comments"),
        COLUMNS["news"] + ("time_backup",),
        _without("news", "comments") + ("time_backup",),
    ],
    "pagelinks": [_without("pagelinks", "link_key")],
    "poll": [COLUMNS["poll"] + ("poll_start_backup", "poll_end_backup")],
    "reviews": [COLUMNS["reviews"] + ("date_backup",)],
    # `challenges` came with the challenges module before 3.5; `numstories` came in 3.2.
    "series": [
        _without("series", "challenges"),
        _without("series", "numstories"),
        _without("series", "challenges", "numstories"),
        _inserted(COLUMNS["series"], "numstories", "warnings") + ("genres",),
    ],
    # The challenges module adds `challenges`; the 3.5.6 upgrade leaves two date backups.
    "stories": [
        COLUMNS["stories"] + ("challenges",),
        COLUMNS["stories"] + ("date_backup", "updated_backup"),
        COLUMNS["stories"] + ("challenges", "date_backup", "updated_backup"),
        COLUMNS["stories"] + ("date_backup", "updated_backup", "challenges"),
    ],
    # Modules add settings at the end.
    "settings": [
        COLUMNS["settings"] + ("anonchallenges",),
        COLUMNS["settings"] + ("anonchallenges", "anonrecs", "rectarget", "autovalrecs"),
        COLUMNS["settings"] + ("notifications",),
        COLUMNS["settings"] + ("anonchallenges", "notifications"),
    ],
}


def layouts(table: str) -> list[tuple[str, ...]]:
    """Every known column order of an eFiction table, the current one first."""
    if table not in COLUMNS:
        return []
    return [COLUMNS[table], *_OTHER_LAYOUTS.get(table, [])]


def layout_for(table: str, count: int) -> tuple[str, ...] | None:
    """The known column order of `table` that has `count` columns (the most usual one when
    several have that many), or None."""
    for layout in layouts(table):
        if len(layout) == count:
            return layout
    return None
