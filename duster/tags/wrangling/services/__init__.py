"""Wrangling: the changes wranglers make to the tag graph.

Every service takes the tags it changes as a list (one tag, or many for a
bulk action), checks the actor may wrangle them, locks their rows in id order
(and, on PostgreSQL, takes one transaction lock for the graph, so two
wranglers reshaping overlapping parts of it run one after the other and each
sees the other's result), validates everything before writing anything,
writes one `WranglingLog` row per changed tag with its state before and after,
and re-filters the works the change touched. A ValidationError names the form
field at fault: "tags", "into", "meta", "fandom", "media" or "name".
"""

from duster.tags.wrangling.services.fandoms import (
    tag_fandom_add,
    tag_fandom_remove,
    tag_media_set,
    tag_rename,
)
from duster.tags.wrangling.services.graph import (
    tag_make_canonical,
    tag_make_uncanonical,
    tag_merge,
    tag_meta_add,
    tag_meta_remove,
    tag_unmerge,
)
from duster.tags.wrangling.services.suggestions import (
    tag_suggestion_accept,
    tag_suggestion_reject,
    tag_suggestions_accept,
)
from duster.tags.wrangling.services.undo import wrangling_undo

__all__ = [
    "tag_fandom_add",
    "tag_fandom_remove",
    "tag_make_canonical",
    "tag_make_uncanonical",
    "tag_media_set",
    "tag_merge",
    "tag_meta_add",
    "tag_meta_remove",
    "tag_rename",
    "tag_suggestion_accept",
    "tag_suggestion_reject",
    "tag_suggestions_accept",
    "tag_unmerge",
    "wrangling_undo",
]
