"""A generated eFiction 3.5.8 archive, as a MySQL dump shaped like the real one in
duster/imports/tests/fixtures/efiction-archive-a.sql (archive A, made with eFiction itself).

    .venv/bin/python -m bench.efiction_generate --stories 10000 --out var/bench/archive.sql

The dump has the fixture's header, footer and 27 tables, each with the fixture's own DROP
TABLE / CREATE TABLE statements (AUTO_INCREMENT set past the generated ids). Tables the
generator does not fill (settings, blocks, panels, messages, page links, ...) keep the
fixture's rows. The rest is generated, seeded, so the same options give the same bytes:

- members: the admin (uid 1) and `--authors` - 1 more, ~70% of them writing; story counts
  per writer Zipf-skewed; a few co-authored stories, some chapters posted by the co-author;
  a few pen names that differ only by a space or underscore, a few shared e-mail addresses;
- a category hierarchy of about 40 (three levels), ~300 characters (a few site-wide),
  class types Genres and Warnings with their classes, ratings G, PG-13 and R;
- stories with 1-12 chapters (`--chapters` in all, skewed towards one-shots), chapter ids
  interleaved across stories in posting order, a few stories whose chapters were reordered,
  a few stories and chapters still in the submission queue (validated 0);
- chapter text of ~1,500 words on average: `<p>` paragraphs, `<br /><br />` paragraphs or
  plain text with CRLF line breaks, with <i>, <b>, scene breaks (<hr>, <hr />, a centred
  "* * *"), <blockquote> letters and <center> headings, curly quotes, accented letters and
  some CJK; stored word counts follow eFiction's own rule;
- series (some moderated or open, with other writers' stories, some pending, some holding a
  sub-series) with titles and summaries stored with eFiction's extra backslashes;
- reviews (a few anonymous, some series reviews, ratings -1 or 1-10, 10% with an author's
  response appended as eFiction does, respond='1'), favourites of stories, authors and
  series, and the cached counters eFiction keeps (recounted the way it counts them).

Dates are Unix integers from 2005 to 2012, id lists comma-separated, text escaped as mysqldump
escapes it. INSERTs hold ~100 rows each (`--one-row`: one row each, as
`mysqldump --skip-extended-insert` writes them, like the fixture).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import TextIO

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "duster" / "imports" / "tests" / "fixtures" / "efiction-archive-a.sql"
# Part of a cached dump's name: change it whenever the generator's output changes.
GENERATOR_VERSION = 1
ROWS_PER_INSERT = 100

START = 1104537600  # 2005-01-01 UTC
END = 1356912000  # 2012-12-31 UTC
DAY = 86400

# ---------------------------------------------------------------------------------------------
# Options


@dataclass(frozen=True)
class Sizes:
    """How much to generate. Anything not given follows `stories` in the default proportions
    (10,000 stories: 30,000 chapters, 50,000 reviews, 2,000 members, 1,000 series and 20,000
    favourites)."""

    stories: int = 10_000
    chapters: int = 30_000
    reviews: int = 50_000
    authors: int = 2_000
    series: int = 1_000
    favourites: int = 20_000
    seed: int = 1
    one_row: bool = False

    @classmethod
    def scaled(cls, stories: int = 10_000, seed: int = 1, one_row: bool = False, **given):
        defaults = {
            "chapters": 3 * stories,
            "reviews": 5 * stories,
            "authors": max(5, stories // 5),
            "series": max(1, stories // 10),
            "favourites": 2 * stories,
        }
        values = {k: (given[k] if given.get(k) is not None else v) for k, v in defaults.items()}
        sizes = cls(stories=stories, seed=seed, one_row=one_row, **values)
        sizes.check()
        return sizes

    def check(self) -> None:
        if self.stories < 1 or self.authors < 3:
            raise ValueError("at least 1 story and 3 members (the admin and two more)")
        if not self.stories <= self.chapters <= 12 * self.stories:
            raise ValueError("chapters must be between 1 and 12 per story")
        if min(self.reviews, self.series, self.favourites) < 0:
            raise ValueError("counts cannot be negative")

    def file_name(self) -> str:
        one = "-onerow" if self.one_row else ""
        return (
            f"efiction-v{GENERATOR_VERSION}-a{self.authors}-s{self.stories}-c{self.chapters}"
            f"-r{self.reviews}-se{self.series}-f{self.favourites}-seed{self.seed}{one}.sql"
        )


# ---------------------------------------------------------------------------------------------
# Words

_FIRST = (
    "Wren", "Idris", "Tamsin", "Odile", "Pim", "August", "Maren", "Ilse", "Tomas", "Nell",
    "Corin", "Saffi", "Bram", "Linnea", "Oskar", "Hester", "Jonah", "Rosalind", "Felix", "Mira",
    "Anselm", "Dagny", "Ezra", "Juno", "Kasimir", "Lior", "Noor", "Perpetua", "Quentin", "Rue",
    "Soren", "Thea", "Ulla", "Vesper", "Wystan", "Yara", "Zeno", "Elodie", "Björn", "Renée",
)  # fmt: skip
_LAST = (
    "Ashdown", "Vell", "Reed", "Marchetti", "Fenwick", "Hobb", "Lund", "Brennan", "Akesson",
    "Thorne", "Calloway", "Dunmore", "Everly", "Graves", "Halloran", "Ivers", "Kestrel",
    "Lowell", "Merriweather", "Northcote", "Okafor", "Penhallow", "Quist", "Ravensworth",
    "Sallow", "Tennant", "Underhill", "Voss", "Winterbourne", "Yardley", "Åberg", "Müller",
)  # fmt: skip
_SUBJECTS = (
    "the lamplighter", "the ferryman", "her brother", "the inspector", "the old woman",
    "the cartographer", "the boy with the rope", "the harbourmaster", "the stranger",
    "the night doctor", "the miller's son", "the keeper", "the girl from the mail coach",
    "nobody in the village", "the captain", "the clockmaker", "the youngest sister",
    "the bosun", "her oldest friend", "the man at the crossroads",
)  # fmt: skip
_VERBS = (
    "watched", "remembered", "carried", "counted", "followed", "mended", "lit", "found",
    "crossed", "waited for", "listened to", "wrote to", "turned away from", "held", "opened",
    "buried", "painted", "forgave", "lost", "folded", "measured", "sharpened", "burned",
    "traded", "borrowed", "hid", "unlocked", "named", "climbed", "kept",
)  # fmt: skip
_OBJECTS = (
    "the lantern", "the harbour wall", "a letter", "the long road", "the tide", "the bell",
    "the last ferry", "the lighthouse stairs", "her own reflection", "the storm", "the ledger",
    "a coat too thin for winter", "the salt-stiff rope", "the kitchen window", "the dark water",
    "the map with the blank corner", "a jar of lamp oil", "the stopped clock", "the orchard gate",
    "the wreck", "a cup of tea gone cold", "the brass key", "the river", "the mill wheel",
    "the first snow", "the empty cradle", "the ship with no name", "the chart table",
    "the cellar door", "a bundle of letters tied with string", "the weather vane",
    "the ferry-house roof", "the coast road", "a pocket watch", "the broken oar",
)  # fmt: skip
_ENDINGS = (
    "before the light failed", "as if nothing had happened", "for the third time that night",
    "without a word", "until the rain stopped", "while the town slept", "and did not look back",
    "because someone had to", "with hands that would not stay still", "in the grey morning",
    "long after midnight", "the way her mother had taught her", "and pretended not to care",
    "as the bells rang nine", "when no one was watching", "one more time",
)  # fmt: skip
_SAYINGS = (
    "You should have told me", "It is only the wind", "Stay until the boats come in",
    "I kept every one of them", "Nobody climbs up here any more", "Light it anyway",
    "We were never going to be ready", "Tell me what you saw", "That isn't what I asked",
    "Don't you dare apologise", "The map was wrong", "I can't, not tonight",
    "You'll catch your death out there", "Was it worth it", "Help me with the rope",
)  # fmt: skip
_SPEECH = ("said", "asked", "whispered", "answered", "muttered", "called")
_FOREIGN = (
    "They shared a café au lait at the station and said nothing at all.",
    "Her naïve little plan worked, somehow, which annoyed everyone.",
    "The sign over the door said Übergang in flaking gold paint.",
    "He signed the letter “Renée’s friend” — which was almost true.",
    "The fiancée arrived a day early, déjà vu and all.",
    "On the back of the map someone had written 地图不是领土。",
    "She traced the characters 月が綺麗ですね on the fogged glass.",
    "Grandmother’s recipe ended with a single word: 사랑.",
    "Smörgåsbord, Jonah decided, was not a word but a threat.",
    "The crème brûlée was, as Pim put it, “a custard with armour.”",
)  # fmt: skip
_CJK_PARAGRAPHS = ("地图不是领土。", "月が綺麗ですね。", "灯塔的光一直亮着。")
_ADJECTIVES = (
    "Silver", "Quiet", "Lost", "Broken", "Burning", "Hollow", "Last", "Salt", "Winter",
    "Paper", "Iron", "Glass", "Crooked", "Second", "Drowned", "Gentle", "Borrowed", "Ninth",
)  # fmt: skip
_NOUNS = (
    "Lantern", "Harbour", "Tide", "Ledger", "Crossing", "Bell", "Map", "Orchard", "River",
    "Lighthouse", "Clock", "Road", "Letters", "Winter", "Ferry", "Key", "Hours", "Compass",
    "Tower", "Shore", "Garden", "Promise", "Voyage", "Archive",
)  # fmt: skip
_REVIEW_LINES = (
    "I loved this so much.", "Please update soon!", "The ending made me cry on the bus.",
    "Your descriptions are gorgeous — I could smell the salt.", "More of this pairing, please!",
    "I didn't see that twist coming at all.", "This is exactly the story I needed today.",
    "One tiny thing: the dates in chapter two don't quite match? Still wonderful.",
    "Ahhh, the cliffhanger! How could you?", "Bookmarked, and I'll be back for the sequel.",
    "The dialogue is so natural, it's like listening in.", "I've reread this three times now.",
    "Poor August. I need to know he's all right.", "“Light it anyway” — that line!",
    "Thank you for writing this.", "Ich habe es geliebt — danke schön!",
)  # fmt: skip
_RESPONSES = (
    "Thank you so much for reading!", "I'm so glad it worked for you.",
    "Sorry about the bus! That line was the whole reason I wrote it.",
    "Next chapter is nearly done, I promise.", "You spotted my mistake — fixed now, thanks!",
    "Your reviews always make my day.", "Maybe... ;) Thanks for reading!",
)  # fmt: skip
_NOTES = (
    "Thanks to my beta for catching all the commas.", "This one fought me every step of the way.",
    "Written for a prompt: \"a lamp that never goes out\".", "Mild spoilers for the second book.",
    "Sorry for the long wait, real life happened.", "Last chapter! Thank you for reading.",
    "Set about a year before <i>The Ember Road</i>.", "Comments and concrit very welcome.",
    "Warning for some peril underwater.", "Happy birthday, you know who you are ♥",
    "Updates every couple of weeks, hopefully.", "Salt &amp; pepper, as the song goes.",
)  # fmt: skip
_FAV_COMMENTS = (
    "Pure joy.", "My favourite.", "Reread every winter.", "Best read in order!",
    "Brilliant writer.", "Need the next chapter!!", "Gentle and perfect.", "Comfort read.",
)  # fmt: skip
_GENRES = (
    "Adventure", "Angst", "Drama", "Friendship", "Humor", "Mystery", "Romance", "Fluff",
    "Horror", "Hurt/Comfort", "Tragedy", "Parody", "Science Fiction", "Slice of Life",
)  # fmt: skip
_WARNINGS = ("None", "Character Death", "Violence", "Strong Language", "Sexual Content")
_FANDOMS = (
    "The Lamplighter Chronicles", "Clockwork Harbour", "Original Fiction", "The Salt Roads",
    "Winterbourne Hall", "The Glass Cartographers", "Station Nine", "The Orchard Years",
    "Ninth Bell", "Ferrylight Saga",
)  # fmt: skip
_PEN_PARTS = (
    "moss", "quill", "tin", "juniper", "bramble", "ember", "lark", "fern", "rook", "hazel",
    "wick", "tide", "salt", "lantern", "paper", "ink", "harbour", "thistle", "clover", "ash",
)  # fmt: skip
_PEN_ENDS = (
    "green", "feather", "lantern", "reader", "writes", "heart", "light", "song", "fox", "wing",
)  # fmt: skip

# eFiction's word count: strip tags, make every character outside this ASCII class a space.
_TAG = re.compile(r"<[^>]*>")
_NOT_WORD = re.compile(r"[^\w'\".!?;,\\/\-:&@()|]", re.ASCII)


def efiction_words(html: str) -> int:
    """The word count eFiction stores for a text (data rule 10 of the fixture's README)."""
    return len(_NOT_WORD.sub(" ", _TAG.sub("", html)).split())


def _edge_is_word(text: str, last: bool) -> bool:
    stripped = _TAG.sub("", text)
    if not stripped:
        return False
    return not _NOT_WORD.match(stripped[-1] if last else stripped[0])


@dataclass(frozen=True)
class Block:
    """A piece of chapter text, with its eFiction word count and whether its first and last
    characters (tags stripped) are word characters, which glue to a neighbour when the tag
    between them is removed."""

    html: str
    words: int
    starts: bool
    ends: bool


def _block(html: str) -> Block:
    return Block(html, efiction_words(html), _edge_is_word(html, False), _edge_is_word(html, True))


def _join(blocks: Sequence[Block], separator: str) -> Block:
    """Blocks joined by a separator; a separator that is only tags (like `<br /><br />`) glues
    the last word of one block to the first of the next, as eFiction counts them."""
    glue = _TAG.sub("", separator) == ""
    words = sum(b.words for b in blocks)
    if glue:
        words -= sum(1 for a, b in zip(blocks, blocks[1:], strict=False) if a.ends and b.starts)
    html = separator.join(b.html for b in blocks)
    return Block(html, words, blocks[0].starts, blocks[-1].ends)


class Prose:
    """Seeded text: a pool of sentences made once, drawn from for every chapter."""

    def __init__(self, rng: random.Random, pool: int = 6000) -> None:
        self.rng = rng
        self.sentences = [_block(self._sentence()) for _ in range(pool)]
        self.sentences += [_block(text) for text in _FOREIGN]
        self.average = max(1.0, sum(s.words for s in self.sentences) / len(self.sentences))

    def _sentence(self) -> str:
        rng = self.rng
        if rng.random() < 0.2:
            name = rng.choice(_FIRST)
            saying = rng.choice(_SAYINGS)
            if rng.random() < 0.75:  # curly quotes, as a word processor pastes them
                saying = saying.replace("'", "’")
                return f"“{saying},” {name} {rng.choice(_SPEECH)}."
            return f'"{saying}," {name} {rng.choice(_SPEECH)}.'
        subject = rng.choice(_SUBJECTS + _FIRST)
        thing = rng.choice(_OBJECTS)
        roll = rng.random()
        if roll < 0.07:
            thing = f"<i>{thing}</i>"
        elif roll < 0.1:
            thing = f"<b>{thing}</b>"
        text = f"{subject} {rng.choice(_VERBS)} {thing}"
        roll = rng.random()
        if roll < 0.55:
            text += " " + rng.choice(_ENDINGS)
        elif roll < 0.65:
            text += " — " + rng.choice(_ENDINGS)
        text = text[0].upper() + text[1:]
        ending = rng.choice((".", ".", ".", ".", ".", "!", "?", "…"))
        if rng.random() < 0.15:
            text = text.replace("'", "’")
        return text + ending

    def paragraph(self, words: int) -> Block:
        """Sentences drawn from the pool, about `words` words of them."""
        pool = self.sentences
        picked = self.rng.choices(pool, k=max(1, round(words / self.average)))
        html = " ".join([s.html for s in picked])
        return Block(html, sum([s.words for s in picked]), picked[0].starts, picked[-1].ends)

    def line(self, choices: Sequence[str], lines: int = 1) -> str:
        """A few lines from `choices` as eFiction's format_story() stores them: the line
        breaks of the form's text become <br />."""
        return "<br />".join(self.rng.choice(choices) for _ in range(lines))

    def chapter(self, words: int, style: str) -> Block:
        """Chapter text of about `words` words in one of eFiction's styles: "p" (HTML
        paragraphs), "br" (paragraphs split by <br /><br />) or "plain" (plain text with blank
        lines)."""
        rng = self.rng
        blocks: list[Block] = []
        count = 0
        heading = style == "p" and rng.random() < 0.06
        if heading:
            blocks.append(
                _block(f"<center><b>{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}</b></center>")
            )
        broke = rng.random() < 0.4  # one scene break, or none
        letter = style == "p" and rng.random() < 0.08
        while count < words:
            size = min(rng.randint(20, 160), max(8, words - count))
            if rng.random() < 0.005:
                para = _block(rng.choice(_CJK_PARAGRAPHS))
            else:
                para = self.paragraph(size)
            if style == "p":
                if letter and rng.random() < 0.3:
                    inner = _join(
                        [_block(f"<p>{para.html}</p>"), _block("<p>Yours, as ever.</p>")], "\r\n"
                    )
                    para = Block(
                        f"<blockquote>{inner.html}</blockquote>", inner.words, para.starts, False
                    )
                else:
                    para = Block(f"<p>{para.html}</p>", para.words, para.starts, para.ends)
            blocks.append(para)
            count += para.words
            if not broke and count >= words / 2:
                broke = True
                blocks.append(_block(self._scene_break(style)))
        separator = {"p": "\r\n", "br": "<br /><br />", "plain": "\r\n\r\n"}[style]
        return _join(blocks, separator)

    def _scene_break(self, style: str) -> str:
        if style == "p":
            return self.rng.choice(("<hr>", "<hr />", '<p align="center">* * *</p>'))
        return "* * *"


# ---------------------------------------------------------------------------------------------
# The archive, planned before anything is written (tables are written alphabetically, and
# stories come after chapters and reviews)


@dataclass
class Member:
    uid: int
    penname: str
    realname: str
    email: str
    bio: str | None
    joined: int
    level: int = 0
    trusted: int = 0


@dataclass
class Story:
    sid: int
    uid: int
    date: int
    title: str = ""
    chapters: int = 1
    style: str = "p"
    coauthor: int = 0
    categories: list[int] = field(default_factory=list)
    characters: list[int] = field(default_factory=list)
    classes: list[int] = field(default_factory=list)
    rid: int = 1
    validated: bool = True
    completed: bool = True
    featured: bool = False
    hits: int = 0
    chapter_ids: list[int] = field(default_factory=list)  # in `inorder`
    updated: int = 0
    words: int = 0


@dataclass
class Chapter:
    chapid: int
    sid: int
    inorder: int
    uid: int
    posted: int
    validated: bool = True
    words: int = 0
    reviews: int = 0
    ratings: list[int] = field(default_factory=list)


@dataclass
class Series:
    seriesid: int
    uid: int
    title: str
    summary: str
    isopen: int
    rows: list[tuple[int, int, int, int]] = field(default_factory=list)  # sid, sub, ok, order
    latest: int = 0


@dataclass
class Review:
    item: int
    chapid: int
    reviewer: str
    uid: int
    text: str
    date: int
    rating: int
    responded: bool
    kind: str


class Archive:
    """Everything but the chapter text, which is made while it is written."""

    def __init__(self, sizes: Sizes) -> None:
        self.sizes = sizes
        self.rng = random.Random(sizes.seed)
        self.prose = Prose(random.Random(sizes.seed * 7919 + 1))
        self.members: list[Member] = []
        self.categories: list[tuple[int, int, str, str, int, int]] = []
        self.characters: list[tuple[int, int, str, str]] = []
        self.classes: list[tuple[int, int, str]] = []
        self.stories: list[Story] = []
        self.chapters: list[Chapter] = []
        self.series: list[Series] = []
        self.reviews: list[Review] = []
        self.favourites: list[tuple[int, int, str, str]] = []
        self.plan()

    # -- members ------------------------------------------------------------------------------

    def plan(self) -> None:
        self.plan_members()
        self.plan_categories()
        self.plan_stories()
        self.plan_chapters()
        self.plan_series()
        self.plan_reviews()
        self.plan_favourites()

    def plan_members(self) -> None:
        rng = self.rng
        taken: set[str] = set()
        joined = sorted(rng.randint(START, END - 120 * DAY) for _ in range(self.sizes.authors - 1))
        self.members.append(
            Member(1, "Archivist", "", "keeper@archive.test", None, START - 30 * DAY, level=1)
        )
        taken.add("archivist")
        for uid, when in enumerate(joined, 2):
            name = self._penname(taken)
            if uid > 10 and rng.random() < 0.004:
                # Pen names that differ only by a space or an underscore (both allowed).
                other = self.members[rng.randrange(1, len(self.members))].penname
                twin = other.replace(" ", "_") if " " in other else other.replace("_", " ")
                if twin.lower() not in taken:
                    name = twin
            taken.add(name.lower())
            realname = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}" if rng.random() < 0.4 else ""
            slug = re.sub(r"[^a-z0-9]+", ".", name.lower()).strip(".") or "member"
            email = f"{slug}.{uid}@example.test"
            if uid > 10 and rng.random() < 0.003:
                email = self.members[rng.randrange(1, len(self.members))].email
            bio: str | None = None
            if rng.random() < 0.6:
                bio = "\r\n".join(
                    rng.choice(_REVIEW_LINES + _NOTES) for _ in range(rng.randint(1, 3))
                )
            trusted = 1 if rng.random() < 0.2 else 0
            self.members.append(Member(uid, name, realname, email, bio, when, trusted=trusted))

    def _penname(self, taken: set[str]) -> str:
        rng = self.rng
        while True:
            roll = rng.random()
            if roll < 0.35:
                name = rng.choice(_PEN_PARTS) + rng.choice(_PEN_ENDS)
            elif roll < 0.55:
                name = (rng.choice(_PEN_PARTS) + rng.choice(_PEN_ENDS)).capitalize()
            elif roll < 0.75:
                name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
            elif roll < 0.9:
                name = f"{rng.choice(_PEN_PARTS)}_{rng.choice(_PEN_ENDS)}"
            else:
                name = f"{rng.choice(_PEN_PARTS)}{rng.choice(_PEN_ENDS)}{rng.randint(1, 999)}"
            if name.lower() not in taken:
                return name

    # -- categories, characters, classes -----------------------------------------------------

    def plan_categories(self) -> None:
        rng = self.rng
        names: set[str] = set()

        def fresh(base: str) -> str:
            name = base
            while name in names:
                name = f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}"
            names.add(name)
            return name

        catid = 0
        tops: list[int] = []
        for order, fandom in enumerate(_FANDOMS[:8], 1):
            catid += 1
            tops.append(catid)
            names.add(fandom)
            self.categories.append((catid, -1, fandom, f"Stories about {fandom}.", 0, order))
        for top in tops[:-1]:  # the last top-level category has no sub-categories
            for order in range(1, rng.randint(2, 6) + 1):
                catid += 1
                name = fresh(f"The {rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}")
                self.categories.append((catid, top, name, f"Set during {name}.", 1, order))
                if rng.random() < 0.15:
                    parent = catid
                    catid += 1
                    sub = fresh(f"{rng.choice(_NOUNS)} {rng.choice(_NOUNS)}")
                    self.categories.append((catid, parent, sub, "", 2, 1))
        charid = 0
        per = max(1, round(297 / len(self.categories)))
        for cat in self.categories:
            for _ in range(rng.randint(max(1, per - 3), per + 3)):
                charid += 1
                name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
                self.characters.append((charid, cat[0], name, f"{name}, of {cat[2]}."))
        for name in ("Original Character", "Original Female Character", "Original Male Character"):
            charid += 1
            self.characters.append((charid, -1, name, "For original characters in any category."))
        class_id = 0
        for name in _GENRES:
            class_id += 1
            self.classes.append((class_id, 1, name))
        for name in _WARNINGS:
            class_id += 1
            self.classes.append((class_id, 2, name))

    # -- stories and chapters ----------------------------------------------------------------

    def plan_stories(self) -> None:
        rng, sizes = self.rng, self.sizes
        others = [m.uid for m in self.members[1:]]
        writers = rng.sample(others, max(1, min(sizes.stories, round(0.7 * len(others)))))
        counts = Counter(writers)
        extra = sizes.stories - len(writers)
        if extra:
            weights = [1 / (rank + 1) ** 0.9 for rank in range(len(writers))]
            counts.update(rng.choices(writers, weights, k=extra))
        joined = {m.uid: m.joined for m in self.members}
        unsorted: list[tuple[int, int]] = []
        for uid, count in counts.items():
            for _ in range(count):
                unsorted.append((rng.randint(joined[uid] + DAY, END - 60 * DAY), uid))
        unsorted.sort()
        leaves_by_top = defaultdict(list)
        for cat in self.categories:
            leaves_by_top[cat[0] if cat[1] == -1 else self._top(cat[0])].append(cat[0])
        cat_weights = [1 / (i + 1) ** 0.8 for i in range(len(self.categories))]
        cat_ids = [c[0] for c in self.categories]
        chars_by_cat = defaultdict(list)
        for char in self.characters:
            chars_by_cat[char[1]].append(char[0])
        genres = [c[0] for c in self.classes if c[1] == 1]
        warnings = [c[0] for c in self.classes if c[1] == 2]
        style_of: dict[int, str] = {}
        for sid, (date, uid) in enumerate(unsorted, 1):
            story = Story(sid, uid, date)
            story.title = self._title()
            if uid not in style_of:
                style_of[uid] = rng.choices(("p", "br", "plain"), (70, 15, 15))[0]
            story.style = style_of[uid]
            cats = [rng.choices(cat_ids, cat_weights)[0]]
            if rng.random() < 0.08:
                second = rng.choices(cat_ids, cat_weights)[0]
                if second != cats[0]:
                    cats.append(second)
            story.categories = cats
            pool = [c for cat in cats for c in chars_by_cat[cat]] + chars_by_cat[-1]
            story.characters = rng.sample(pool, min(len(pool), rng.randint(0, 4)))
            story.classes = [rng.choice(warnings)] + rng.sample(genres, rng.randint(1, 3))
            story.rid = rng.choices((1, 2, 3), (35, 45, 20))[0]
            story.featured = rng.random() < 0.005
            story.hits = int(rng.lognormvariate(5, 1.2))
            story.validated = rng.random() >= 0.003
            self.stories.append(story)
        if len(writers) > 1:
            for story in self.stories:
                if rng.random() < 0.02:
                    story.coauthor = rng.choice(
                        [w for w in rng.sample(writers, 2) if w != story.uid]
                    )
        # Chapters per story: 1-12, skewed towards one-shots, adding up to --chapters.
        for story in self.stories:
            if rng.random() < 0.45:
                story.chapters = 1
            else:
                story.chapters = min(12, 2 + int(rng.expovariate(1 / 2.6)))
        total = sum(s.chapters for s in self.stories)
        while total != sizes.chapters:
            story = self.stories[rng.randrange(len(self.stories))]
            if total < sizes.chapters and story.chapters < 12:
                story.chapters += 1
                total += 1
            elif total > sizes.chapters and story.chapters > 1:
                story.chapters -= 1
                total -= 1
        for story in self.stories:
            story.completed = rng.random() < (0.9 if story.chapters == 1 else 0.55)

    def _top(self, catid: int) -> int:
        parents = {c[0]: c[1] for c in self.categories}
        while parents[catid] != -1:
            catid = parents[catid]
        return catid

    def _title(self) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.3:
            return f"The {rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}"
        if roll < 0.5:
            return f"{rng.choice(_NOUNS)} of the {rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}"
        if roll < 0.65:
            return f"{rng.choice(_FIRST)}'s {rng.choice(_NOUNS)}"
        if roll < 0.75:
            return f"{rng.choice(_NOUNS)} & {rng.choice(_NOUNS)}"
        if roll < 0.8:
            return f"Café {rng.choice(_LAST)}"
        return f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}"

    def plan_chapters(self) -> None:
        rng = self.rng
        planned: list[Chapter] = []
        for story in self.stories:
            when = story.date
            for inorder in range(1, story.chapters + 1):
                if inorder > 1:
                    when = min(END, when + int(rng.expovariate(1 / (20 * DAY))) + 3600)
                uid = story.uid
                if story.coauthor and inorder > 1 and rng.random() < 0.4:
                    uid = story.coauthor
                chapter = Chapter(0, story.sid, inorder, uid, when, story.validated)
                planned.append(chapter)
            if story.validated and story.chapters > 1 and rng.random() < 0.003:
                planned[-1].validated = False  # a new chapter waiting in the queue
        planned.sort(key=lambda c: (c.posted, c.sid, c.inorder))
        by_story: dict[int, list[Chapter]] = defaultdict(list)
        for chapid, chapter in enumerate(planned, 1):
            chapter.chapid = chapid
            by_story[chapter.sid].append(chapter)
        for story in self.stories:
            chapters = by_story[story.sid]
            if len(chapters) > 2 and rng.random() < 0.01:
                # The author moved a chapter up: ids and order now disagree.
                a, b = rng.sample(range(len(chapters)), 2)
                chapters[a].inorder, chapters[b].inorder = chapters[b].inorder, chapters[a].inorder
            chapters.sort(key=lambda c: c.inorder)
            story.chapter_ids = [c.chapid for c in chapters]
            shown = [c.posted for c in chapters if c.validated] or [story.date]
            story.updated = max(shown)
        self.chapters = planned

    # -- series, reviews, favourites ---------------------------------------------------------

    def plan_series(self) -> None:
        rng = self.rng
        by_writer: dict[int, list[Story]] = defaultdict(list)
        for story in self.stories:
            if story.validated:
                by_writer[story.uid].append(story)
        owners = [uid for uid, stories in by_writer.items() if len(stories) >= 2]
        if not owners:
            return
        weights = list(accumulate(len(by_writer[uid]) for uid in owners))
        in_series: set[int] = set()
        owned: dict[int, list[int]] = defaultdict(list)
        validated = [s for s in self.stories if s.validated]
        for seriesid in range(1, self.sizes.series + 1):
            uid = rng.choices(owners, cum_weights=weights)[0]
            mine = by_writer[uid]
            free = [s for s in mine if s.sid not in in_series]
            pool = free if len(free) >= 2 else mine
            chosen = rng.sample(pool, rng.randint(2, min(8, len(pool))))
            isopen = rng.choices((0, 1, 2), (85, 10, 5))[0]
            title = self._title()
            if rng.random() < 0.3:
                title = f"{rng.choice(_FIRST)}'s {rng.choice(('Casebook', 'Year', 'Letters'))}"
            summary = f'Every story about {rng.choice(_OBJECTS)}, in the order they "happen". '
            summary += rng.choice(("It's not the order I wrote them in!", "Read in order."))
            series = Series(seriesid, uid, title, summary, isopen)
            items: list[tuple[int, int, int]] = [(s.sid, 0, 1) for s in chosen]
            if isopen and len(validated) > 2:
                for other in rng.sample(validated, rng.randint(1, 2)):
                    if other.uid != uid and other.sid not in {i[0] for i in items}:
                        items.append((other.sid, 0, 0 if rng.random() < 0.3 else 1))
            if (owned[uid] and rng.random() < 0.25) or (seriesid > 1 and rng.random() < 0.02):
                earlier = rng.choice(owned[uid] or list(range(1, seriesid)))
                items.insert(rng.randrange(len(items) + 1), (0, earlier, 1))
            # Stored in the order they were added; `inorder` is the order the owner chose.
            order = list(range(1, len(items) + 1))
            rng.shuffle(items)
            series.rows = [
                (sid, sub, ok, n) for (sid, sub, ok), n in zip(items, order, strict=True)
            ]
            rng.shuffle(series.rows)
            latest = [self.stories[sid - 1].updated for sid, _, _, _ in series.rows if sid]
            series.latest = max(latest)
            in_series.update(s.sid for s in chosen)
            owned[uid].append(seriesid)
            self.series.append(series)

    def plan_reviews(self) -> None:
        rng, sizes = self.rng, self.sizes
        shown = [c for c in self.chapters if c.validated]
        if not shown:
            return
        story_of = {s.sid: s for s in self.stories}
        weights = [story_of[c.sid].hits + 1 for c in shown]
        members = self.members[1:]
        reader_weights = list(accumulate(1 / (i + 1) ** 0.7 for i in range(len(members))))
        series_reviews = round(sizes.reviews * 0.03) if self.series else 0
        targets: list[tuple[str, int, int, int, set[int]]] = []
        for chapter in rng.choices(shown, weights, k=sizes.reviews - series_reviews):
            story = story_of[chapter.sid]
            authors = {story.uid, story.coauthor}
            targets.append(("ST", story.sid, chapter.chapid, chapter.posted, authors))
        for series in rng.choices(self.series, k=series_reviews):
            targets.append(("SE", series.seriesid, 0, series.latest, {series.uid}))
        chapter_of = {c.chapid: c for c in self.chapters}
        for kind, item, chapid, after, authors in targets:
            if rng.random() < 0.05:
                uid, name = 0, rng.choice(("Anonymous", "a lurker", "Kat", "guest", "Mira R."))
            else:
                member = rng.choices(members, cum_weights=reader_weights)[0]
                while member.uid in authors:
                    member = rng.choice(members)
                uid, name = member.uid, member.penname
            date = min(END, after + int(rng.expovariate(1 / (30 * DAY))) + 600)
            lines = [
                rng.choice(_REVIEW_LINES) for _ in range(rng.choices((1, 2, 3), (60, 30, 10))[0])
            ]
            text = "<br />".join(lines)  # format_story() on the form's CRLF
            rating = rng.choices(
                (-1, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1), (35, 25, 15, 10, 5, 3, 2, 2, 1, 1, 1)
            )[0]
            responded = rng.random() < 0.1
            if responded:
                text += f"<br><br><i>Author's Response: {rng.choice(_RESPONSES)}</i>"
            self.reviews.append(
                Review(item, chapid, name, uid, text, date, rating, responded, kind)
            )
            if chapid:
                chapter_of[chapid].reviews += 1
                if rating > 0:
                    chapter_of[chapid].ratings.append(rating)
        self.reviews.sort(key=lambda r: r.date)

    def plan_favourites(self) -> None:
        rng, sizes = self.rng, self.sizes
        seen: set[tuple[int, str, int]] = set()
        stories = [s for s in self.stories if s.validated]
        weights = list(accumulate(s.hits + 1 for s in stories))
        writers = sorted({s.uid for s in stories})
        members = [m.uid for m in self.members[1:]]
        attempts = 0
        while len(self.favourites) < sizes.favourites and attempts < sizes.favourites * 5:
            attempts += 1
            uid = rng.choice(members)
            kind = rng.choices(("ST", "AU", "SE"), (60, 25, 15))[0]
            if kind == "ST" and stories:
                story = rng.choices(stories, cum_weights=weights)[0]
                if uid in (story.uid, story.coauthor):
                    continue
                item = story.sid
            elif kind == "AU" and writers:
                item = rng.choice(writers)
                if item == uid:
                    continue
            elif kind == "SE" and self.series:
                item = rng.choice(self.series).seriesid
            else:
                continue
            if (uid, kind, item) in seen:
                continue
            seen.add((uid, kind, item))
            comment = rng.choice(_FAV_COMMENTS) if rng.random() < 0.4 else ""
            self.favourites.append((uid, item, kind, comment))


# ---------------------------------------------------------------------------------------------
# Writing


def sql_value(value: object) -> str:
    """A value as mysqldump writes it."""
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    text = text.replace("'", "\\'").replace('"', '\\"')
    if "\n" in text or "\r" in text:
        text = text.replace("\n", "\\n").replace("\r", "\\r")
    if "\0" in text or "\x1a" in text:
        text = text.replace("\0", "\\0").replace("\x1a", "\\Z")
    return f"'{text}'"


def add_slashes(text: str) -> str:
    """PHP's addslashes(): eFiction's series form stores titles and summaries this way, and
    the database layer escapes them once more (data rule 6)."""
    return text.replace("\\", "\\\\").replace("'", "\\'").replace('"', '\\"').replace("\0", "\\0")


def _ids(values: Iterable[int]) -> str:
    return ",".join(str(v) for v in values)


class Rows:
    """The INSERT statements of one table: `per` rows to a statement."""

    def __init__(self, out: TextIO, table: str, per: int) -> None:
        self.out, self.head, self.per = out, f"INSERT INTO `{table}` VALUES ", per
        self.buffer: list[str] = []
        self.count = 0

    def add(self, *values: object) -> None:
        self.buffer.append("(" + ",".join(sql_value(v) for v in values) + ")")
        self.count += 1
        if len(self.buffer) >= self.per:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            self.out.write(self.head + ",".join(self.buffer) + ";\n")
            self.buffer = []


_SECTION = re.compile(r"^--\n-- Table structure for table `(\w+)`\n--\n", re.M)
_DATA = re.compile(r"^--\n-- Dumping data for table `\w+`\n--\n", re.M)
_FOOTER = "/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;"


@dataclass
class FixtureTable:
    structure: str  # from the "Table structure" comment to the CREATE TABLE's end
    head: str  # from "Dumping data" to DISABLE KEYS
    rows: str  # the fixture's INSERT lines
    tail: str  # ENABLE KEYS, UNLOCK TABLES


def read_fixture(path: Path = FIXTURE) -> tuple[str, dict[str, FixtureTable], str]:
    """The fixture dump's header, its tables by name (with prefix) and its footer."""
    text = path.read_text(encoding="utf-8")
    starts = [m.start() for m in _SECTION.finditer(text)]
    footer_at = text.index(_FOOTER)
    tables: dict[str, FixtureTable] = {}
    for start, end in zip(starts, [*starts[1:], footer_at], strict=True):
        section = text[start:end]
        name = _SECTION.match(section).group(1)  # type: ignore[union-attr]
        data_at = _DATA.search(section).start()  # type: ignore[union-attr]
        data = section[data_at:]
        head_end = data.index("DISABLE KEYS */;\n") + len("DISABLE KEYS */;\n")
        tail_at = data.index("/*!40000 ALTER TABLE", head_end)
        tables[name] = FixtureTable(
            section[:data_at], data[:head_end], data[head_end:tail_at], data[tail_at:]
        )
    return text[: starts[0]], tables, text[footer_at:]


class DumpWriter:
    """Writes an Archive as a dump in the fixture's shape, returning rows per table."""

    def __init__(self, archive: Archive, out: TextIO) -> None:
        self.a = archive
        self.out = out
        self.per = 1 if archive.sizes.one_row else ROWS_PER_INSERT
        self.counts: dict[str, int] = {}

    def write(self) -> dict[str, int]:
        header, tables, footer = read_fixture()
        self.out.write(header)
        for name, table in tables.items():
            base = name.removeprefix("fanfiction_")
            fill = getattr(self, f"table_{base}", None)
            structure = table.structure
            next_id = self.next_id(base)
            if next_id is not None:
                structure = re.sub(r"AUTO_INCREMENT=\d+", f"AUTO_INCREMENT={next_id}", structure)
            self.out.write(structure + table.head)
            if fill is None:
                self.out.write(table.rows)
                self.counts[base] = table.rows.count("\nINSERT ") + table.rows.startswith("INSERT ")
            else:
                rows = Rows(self.out, name, self.per)
                fill(rows)
                rows.flush()
                self.counts[base] = rows.count
            self.out.write(table.tail)
        self.out.write(footer)
        return self.counts

    def next_id(self, base: str) -> int | None:
        a = self.a
        lengths = {
            "authors": len(a.members),
            "categories": len(a.categories),
            "chapters": len(a.chapters),
            "characters": len(a.characters),
            "classes": len(a.classes),
            "reviews": len(a.reviews),
            "series": len(a.series),
            "stories": len(a.stories),
        }
        return lengths[base] + 1 if base in lengths else None

    # One method per generated table, named after it.

    def table_authorinfo(self, rows: Rows) -> None:
        rng = random.Random(self.a.sizes.seed + 11)
        for m in self.a.members[1:]:
            if rng.random() < 0.15:
                rows.add(m.uid, 2, f"http://{m.uid}.example.test/")
            if rng.random() < 0.08:
                rows.add(m.uid, 8, "Yes")

    def table_authorprefs(self, rows: Rows) -> None:
        rng = random.Random(self.a.sizes.seed + 12)
        stories = Counter(s.uid for s in self.a.stories if s.validated)
        stories.update(s.coauthor for s in self.a.stories if s.validated and s.coauthor)
        for m in self.a.members:
            flags = [1 if rng.random() < 0.2 else 0 for _ in range(7)]
            rows.add(m.uid, *flags, m.trusted, "E-zfiction", m.level, "0", 0, stories.get(m.uid, 0))

    def table_authors(self, rows: Rows) -> None:
        for m in self.a.members:
            password = hashlib.md5(f"pw-{m.uid}".encode(), usedforsecurity=False).hexdigest()
            rows.add(m.uid, m.penname, m.realname, m.email, m.bio, "", m.joined, "0", password)

    def table_categories(self, rows: Rows) -> None:
        counted: Counter[int] = Counter()
        parents = {c[0]: c[1] for c in self.a.categories}
        for story in self.a.stories:
            if story.validated:
                for catid in story.categories:  # categoryitems(): the category and its parents
                    while catid != -1:
                        counted[catid] += 1
                        catid = parents[catid]
        for catid, parent, name, description, level, order in self.a.categories:
            rows.add(catid, parent, name, description, "", "0", level, order, counted[catid])

    def table_chapters(self, rows: Rows) -> None:
        prose = self.a.prose
        rng = prose.rng
        story_of = {s.sid: s for s in self.a.stories}
        for c in self.a.chapters:
            story = story_of[c.sid]
            words = max(100, min(12_000, int(rng.gammavariate(2.2, 1500 / 2.2))))
            text = prose.chapter(words, story.style)
            c.words = text.words
            if c.validated:
                story.words += text.words
            elif c.inorder == 1 and not story.validated:
                story.words = text.words  # eFiction's count at submission
            if rng.random() < 0.25 or story.chapters == 1 and rng.random() < 0.5:
                title = story.title if story.chapters == 1 else f"Chapter {c.inorder}"
            else:
                title = self.a._title()
                if rng.random() < 0.01:
                    title = f"{rng.choice(_NOUNS)} & {rng.choice(_NOUNS)} — or, Why 3 < 4 > 2"
            notes = prose.line(_NOTES, rng.randint(1, 2)) if rng.random() < 0.5 else ""
            endnotes = prose.line(_NOTES) if rng.random() < 0.3 else ""
            rating = round(sum(c.ratings) / len(c.ratings)) if c.ratings else 0
            validated = "1" if c.validated else "0"
            hits = int(story.hits * rng.random())
            rows.add(
                c.chapid, title, c.inorder, notes, text.html, endnotes, validated, c.words,
                rating, c.reviews, c.sid, c.uid, hits,
            )  # fmt: skip

    def table_characters(self, rows: Rows) -> None:
        for charid, catid, name, bio in self.a.characters:
            rows.add(charid, catid, name, bio, "")

    def table_classes(self, rows: Rows) -> None:
        for row in self.a.classes:
            rows.add(*row)

    def table_classtypes(self, rows: Rows) -> None:
        rows.add(1, "genres", "Genres")
        rows.add(2, "warnings", "Warnings")

    def table_coauthors(self, rows: Rows) -> None:
        for story in self.a.stories:
            if story.coauthor:
                rows.add(story.sid, story.coauthor)

    def table_favorites(self, rows: Rows) -> None:
        for row in self.a.favourites:
            rows.add(*row)

    def table_inseries(self, rows: Rows) -> None:
        for series in self.a.series:
            for sid, sub, confirmed, inorder in series.rows:
                rows.add(series.seriesid, sid, sub, confirmed, inorder)

    def table_ratings(self, rows: Rows) -> None:
        rows.add(1, "G", "0", "")
        rows.add(2, "PG-13", "0", "")
        warning = (
            "This story is rated R and deals with mature themes. "
            "Click here to confirm that you are 18 or older."
        )
        rows.add(3, "R", "2", warning)

    def table_reviews(self, rows: Rows) -> None:
        for reviewid, r in enumerate(self.a.reviews, 1):
            respond = "1" if r.responded else "0"
            rows.add(
                reviewid, r.item, r.chapid, r.reviewer, r.uid, r.text, r.date, r.rating,
                respond, r.kind,
            )  # fmt: skip

    def table_series(self, rows: Rows) -> None:
        a = self.a
        series_of = {s.seriesid: s for s in a.series}
        reviews = Counter(r.item for r in a.reviews if r.kind == "SE")
        ratings: dict[int, list[int]] = defaultdict(list)
        for r in a.reviews:
            if r.kind == "SE" and r.rating > 0:
                ratings[r.item].append(r.rating)

        def stories_in(seriesid: int, seen: frozenset[int] = frozenset()) -> list[int]:
            found: list[int] = []
            for sid, sub, _, _ in series_of[seriesid].rows:
                if sid:
                    found.append(sid)
                elif sub not in seen:
                    found += stories_in(sub, seen | {seriesid})
            return found

        for s in a.series:
            sids = stories_in(s.seriesid)
            cats = sorted({c for sid in sids for c in a.stories[sid - 1].categories})
            rating = (
                round(sum(ratings[s.seriesid]) / len(ratings[s.seriesid]))
                if ratings[s.seriesid]
                else 0
            )
            rows.add(
                s.seriesid, add_slashes(s.title), add_slashes(s.summary), s.uid, s.isopen,
                _ids(cats), rating, "", "", reviews[s.seriesid], len(sids), "",
            )  # fmt: skip

    def table_stats(self, rows: Rows) -> None:
        a = self.a
        shown = [s for s in a.stories if s.validated]
        chapters = sum(1 for c in a.chapters if c.validated)
        writers = {s.uid for s in shown} | {s.coauthor for s in shown if s.coauthor}
        reviewers = {r.uid for r in a.reviews if r.uid}
        words = sum(c.words for c in a.chapters if c.validated)
        rows.add(
            "jT4fquENGX", len(shown), chapters, len(a.series), len(a.reviews), words,
            len(writers), len(a.members) - 1, len(reviewers), len(a.members),
        )  # fmt: skip

    def table_stories(self, rows: Rows) -> None:
        a = self.a
        rng = random.Random(a.sizes.seed + 13)
        prose = a.prose
        reviews = Counter(r.item for r in a.reviews if r.kind == "ST")
        ratings: dict[int, list[int]] = defaultdict(list)
        for r in a.reviews:
            if r.kind == "ST" and r.rating > 0:
                ratings[r.item].append(r.rating)
        for s in a.stories:
            summary = " ".join(
                prose.sentences[rng.randrange(len(prose.sentences))].html
                for _ in range(rng.randint(1, 3))
            )
            notes = prose.line(_NOTES, rng.randint(1, 2)) if rng.random() < 0.5 else ""
            rating = round(sum(ratings[s.sid]) / len(ratings[s.sid])) if ratings[s.sid] else 0
            rows.add(
                s.sid, s.title, summary, notes, _ids(s.categories), _ids(s.classes),
                _ids(s.characters), str(s.rid), s.date, s.updated, s.uid,
                1 if s.coauthor else 0, "1" if s.featured else "0", "1" if s.validated else "0",
                "1" if s.completed else "0", "0", s.words, rating, reviews[s.sid], s.hits,
            )  # fmt: skip


def write_dump(path: Path, sizes: Sizes) -> dict[str, int]:
    """Generate the archive and write its dump to `path` (through a temporary file, so a
    dump that is there is whole); the rows written per table (without prefix)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    archive = Archive(sizes)
    with open(partial, "w", encoding="utf-8", newline="\n", buffering=1 << 20) as out:
        counts = DumpWriter(archive, out).write()
    partial.replace(path)
    return counts


def add_size_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stories", type=int, default=10_000)
    for name in ("chapters", "reviews", "authors", "series", "favourites"):
        parser.add_argument(f"--{name}", type=int, help="default: in proportion to --stories")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--one-row",
        action="store_true",
        help="one row per INSERT (mysqldump --skip-extended-insert)",
    )


def sizes_from(args: argparse.Namespace) -> Sizes:
    return Sizes.scaled(
        args.stories,
        seed=args.seed,
        one_row=args.one_row,
        chapters=args.chapters,
        reviews=args.reviews,
        authors=args.authors,
        series=args.series,
        favourites=args.favourites,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_size_options(parser)
    parser.add_argument("--out", type=Path, help="default: var/bench/<name for the options>")
    args = parser.parse_args()
    try:
        sizes = sizes_from(args)
    except ValueError as exc:
        parser.error(str(exc))
    path = args.out or ROOT / "var" / "bench" / sizes.file_name()
    started = time.perf_counter()
    counts = write_dump(path, sizes)
    seconds = time.perf_counter() - started
    print(f"Wrote {path} ({path.stat().st_size / 1e6:.1f} MB) in {seconds:.1f} s")
    for table, count in counts.items():
        print(f"  {table:14} {count:>8,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
