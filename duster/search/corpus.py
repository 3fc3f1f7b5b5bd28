"""A generated archive for the search benchmark and its tests.

`corpus_generate(works=N, seed=S)` fills an empty archive with N works shaped
like a real one: a few huge fandoms and a long tail, characters and
relationships belonging to their fandoms, thousands of additional tags used
Zipf-like, synonyms and meta tags (so a search must look through them),
prolific creators and many with one work, chapter counts from one-shots to
epics. Story text is short (a few paragraphs a chapter) but real HTML, its
words drawn Zipf-like from a 30,000-word vocabulary as in real prose (a few
words in every work, most in few), with a few recurring phrases for phrase
searches, and CJK text in Japanese and Chinese works. The same N and S give
the same rows: dates count back from a fixed day.

Rows go in as raw bulk inserts (executemany on SQLite, COPY on PostgreSQL),
no model saved and no signal sent, or a million works would take hours. So
the stored counts and filter tags are written here as the services would
leave them: `word_count` and `chapter_count` as `work_refresh` counts them,
`FilterTagging` rows as `duster.tags.filtering.filter_tag_ids` computes them.
"""

import datetime as dt
import random
import time
from bisect import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils.text import slugify

from duster.accounts.models import Pseud, User
from duster.lib.pagecache import pages_changed
from duster.lib.sqlite import sqlite_refresh_statistics
from duster.lib.text import word_count
from duster.tags.fixed import fixed_tags
from duster.tags.models import (
    FilterTagging,
    MetaTagging,
    Tag,
    TagFandom,
    TagType,
    tag_key,
    tag_match_key,
)
from duster.works.models import (
    ArchiveWarning,
    Category,
    Chapter,
    Creatorship,
    Rating,
    Work,
    WorkState,
    WorkTag,
)
from duster.works.signals import works_changed

BATCH = 10_000  # works per transaction
# Dates count back from this day (or today, when earlier) over YEARS years.
LAST_DAY = dt.datetime(2026, 1, 1)
YEARS = 12


def _words(text: str) -> list[str]:
    return text.split()


WORDS = _words("""
amber harbor lantern quiet ember silver winter river thread morning hollow glass
kindred paper salt meadow storm letter tide bell shadow garden fox ashes crown
orchard echo velvet signal iron north starlight gentle burning promise road home
moth apple cinder quill hearth bridge rain dusk lighthouse willow compass raven
marble frost honey sparrow ferry tower violet copper tea lake orbit ribbon
""")
# The words every story uses, the most used first.
FUNCTION_WORDS = _words("""
the and to a of she he was in it her they his that had said with for not but at on
were as you there could into from him over back looked again still never before
after would what their then out when them hand door eyes voice night light time
""")
# A story's words by rank: the function words, then VOCABULARY_SIZE more,
# drawn Zipf-like (rank r used in proportion to 1/r), as words are in real
# text. The archive's own nouns (WORDS) sit between ranks WORD_RANKS, as
# nouns like them do in English; the rest are words made from syllables.
VOCABULARY_SIZE = 30_000
WORD_RANKS = (200, 20_000)
# Recurring phrases, so phrase searches find something (in about one chapter in 60).
PHRASES = [
    "the lighthouse keeper kept her promise",
    "salt and starlight",
    "a fox in the orchard",
    "nobody ever asks the ferry where it wants to go",
    "copper kettle on the hearth",
    "the raven remembered everything",
]
CJK_TEXT = {
    "ja": "灯台の光が静かな港を照らしていた。彼女は手紙を書き終えて窓の外を見た。"
    "冬の川は銀色に流れ、狐が果樹園を走った。約束はまだ守られている。",
    "zh-hans": "灯塔的光照亮了安静的港口。她写完信，望向窗外。"
    "冬天的河流像银子一样流淌，狐狸跑过果园。那个约定仍然被守着。",
}
FIRST_NAMES = _words("""
Alder Bryn Cass Dorian Elin Fenn Greer Halle Ines Jory Kaito Lise Mika Nadia Oren
Pia Quill Reza Suvi Talin Ulla Vero Wynn Yara Zeke Aiko Bram Cleo Dax Esme
""")
SYLLABLES = _words("ka lo mi ra ne sa to vi el an or is un be da fe ho ri su ty")


def vocabulary() -> list[str]:
    """The words stories are written in, the most used first: the same
    list on every call."""
    rng = random.Random(VOCABULARY_SIZE)
    taken = set(FUNCTION_WORDS) | set(WORDS)
    made: list[str] = []
    while len(made) < VOCABULARY_SIZE - len(WORDS):
        word = "".join(rng.choices(SYLLABLES, k=rng.randint(2, 4)))
        if word not in taken:
            taken.add(word)
            made.append(word)
    low, high = WORD_RANKS
    step = (high / low) ** (1 / (len(WORDS) - 1))
    for i, word in enumerate(WORDS):  # spread evenly on a log scale
        made.insert(round(low * step**i), word)
    return FUNCTION_WORDS + made


MEDIA = ["", "", "", " (TV)", " (Anime)", " (Video Game)", " (Comics)", " (Film)"]
# Additional tags readers know, the most used first; each meta tag lists the
# tags under it (a sub tag may have subs of its own).
TROPES = """
Fluff|Angst|Alternate Universe|Hurt/Comfort|Slow Burn|Found Family|Friends to Lovers|
Enemies to Lovers|Canon Compliant|Pining|Angst with a Happy Ending|Established Relationship|
Alternate Universe - Modern Setting|Humor|Fix-It|Time Travel|Alternate Universe - Soulmates|
Character Study|Missing Scene|First Kiss|Domestic Fluff|Alternate Universe - Coffee Shops & Cafés|
Soulmate Marks|Road Trip|Red String of Fate|Amnesia|Alternate Universe - Fantasy|Whump|Crack
""".replace("\n", "").split("|")
TROPE_META = {
    "Alternate Universe": [
        "Alternate Universe - Modern Setting",
        "Alternate Universe - Soulmates",
        "Alternate Universe - Coffee Shops & Cafés",
        "Alternate Universe - Fantasy",
    ],
    "Alternate Universe - Soulmates": ["Soulmate Marks", "Red String of Fate"],
    "Angst": ["Angst with a Happy Ending"],
    "Fluff": ["Domestic Fluff"],
}
LANGUAGE_SHARES = {
    "en": 88,
    "es": 2,
    "fr": 2,
    "de": 1,
    "ru": 1,
    "pt-br": 1,
    "ko": 1,
    "ja": 2,
    "zh-hans": 2,
}
RATINGS = {
    Rating.GENERAL: 26,
    Rating.TEEN: 30,
    Rating.MATURE: 18,
    Rating.EXPLICIT: 16,
    Rating.NOT_RATED: 10,
}
SERIOUS = [
    ArchiveWarning.VIOLENCE,
    ArchiveWarning.DEATH,
    ArchiveWarning.NONCON,
    ArchiveWarning.UNDERAGE,
]


def random_warnings(rng: random.Random) -> list[str]:
    """A work's archive warnings as archives use them: half "none apply",
    a quarter "chose not to warn", the rest one or two serious ones."""
    roll = rng.random()
    if roll < 0.5:
        return [ArchiveWarning.NONE_APPLY]
    if roll < 0.75:
        return [ArchiveWarning.CHOSE_NOT_TO_WARN]
    return rng.sample(SERIOUS, rng.randint(1, 2))


@dataclass
class CorpusSummary:
    works: int = 0
    chapters: int = 0
    tags: int = 0
    work_tags: int = 0
    filter_taggings: int = 0
    seconds: float = 0.0


def zipf(n: int, offset: float = 0.0) -> list[float]:
    """Cumulative Zipf-Mandelbrot weights 1 / (rank + offset), ranks 1..n:
    the offset flattens the head (no single creator writes a tenth of the archive)."""
    return list(accumulate(1 / (rank + offset) for rank in range(1, n + 1)))


class _Table:
    """A model's table for raw inserts: the columns each row gives, then every
    other column at its default (so a field added later with a default needs
    no change here)."""

    def __init__(self, model: type[models.Model], given: Sequence[str], now: Any):
        fields = model._meta.concrete_fields
        rest = [f for f in fields if f.attname not in given and not f.primary_key]
        by_name = {f.attname: f for f in fields}
        self.defaults = tuple(self._default(f, now) for f in rest)
        self.name = model._meta.db_table
        self.columns = [str(by_name[name].column) for name in given] + [str(f.column) for f in rest]

    @staticmethod
    def _default(field: models.Field, now: Any) -> Any:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            return now
        return field.get_db_prep_save(field.get_default(), connection)


class _Loader:
    """Raw bulk inserts on the connection's own DB-API cursor."""

    def __init__(self) -> None:
        connection.ensure_connection()
        self.sqlite = connection.vendor == "sqlite"
        self.cursor = connection.connection.cursor()

    def when(self, moment: dt.datetime) -> Any:
        """A naive UTC datetime as the column takes it (Django stores text on SQLite)."""
        return str(moment) if self.sqlite else moment.replace(tzinfo=dt.UTC)

    def insert(self, table: _Table, rows: list[tuple]) -> None:
        columns = ", ".join(connection.ops.quote_name(c) for c in table.columns)
        rest = table.defaults
        if self.sqlite:
            marks = ", ".join("?" * len(table.columns))
            sql = f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks})'  # noqa: S608 (model names)
            self.cursor.executemany(sql, [row + rest for row in rows])
            return
        with self.cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row + rest)


@dataclass
class _Fandom:
    tag: int
    characters: list[int] = field(default_factory=list)
    relationships: list[int] = field(default_factory=list)
    character_weights: list[float] = field(default_factory=list)
    relationship_weights: list[float] = field(default_factory=list)


class _Tags:
    """The tag pool and its graph: names unique per type, slugs unique,
    synonyms and meta tags, and each tag's filter tags."""

    def __init__(self, rng: random.Random, works: int):
        self.rng = rng
        self.rows: list[tuple] = []
        self.types: dict[int, str] = {}
        self.mergers: dict[int, int] = {}
        self.metas: list[tuple[int, int]] = []  # (sub, meta)
        self.fandom_links: list[tuple[int, int]] = []  # (tag, fandom)
        self.synonyms: dict[int, int] = {}  # canonical -> a synonym works sometimes use
        self.names: dict[int, str] = {}
        self.unwrangled: set[int] = set()
        self.keys = set(Tag.objects.values_list("type", "key"))
        self.slugs = set(Tag.objects.values_list("slug", flat=True))
        self.next_id = (Tag.objects.aggregate(m=models.Max("pk"))["m"] or 0) + 1
        self.fandoms = self._fandoms(max(30, works // 200))
        self.fandom_weights = zipf(len(self.fandoms), 1)
        self.freeforms = self._freeforms(max(300, works // 100))
        self.freeform_weights = zipf(len(self.freeforms), 5)
        self.filters = self._filters()

    def add(self, tag_type: str, name: str, *, canonical: bool = True, merger: int = 0) -> int:
        base, number = name, 1
        while (tag_type, key := tag_key(name)) in self.keys:
            number += 1
            name = f"{base} {number}"
        slug = base_slug = slugify(name, allow_unicode=True)[:180] or "tag"
        while slug in self.slugs:
            number += 1
            slug = f"{base_slug}-{number}"
        self.keys.add((tag_type, key))
        self.slugs.add(slug)
        tag_id = self.next_id
        self.next_id += 1
        self.rows.append(
            (tag_id, name, key, tag_match_key(name), tag_type, slug, canonical, merger or None)
        )
        self.types[tag_id] = tag_type
        self.names[tag_id] = name
        if not canonical and not merger:
            self.unwrangled.add(tag_id)
        if merger:
            self.mergers[tag_id] = merger
        return tag_id

    def _synonym(self, canonical: int, name: str) -> None:
        self.synonyms[canonical] = self.add(
            self.types[canonical], name, canonical=False, merger=canonical
        )

    def _fandoms(self, n: int) -> list[_Fandom]:
        rng, fandoms = self.rng, []
        for rank in range(1, n + 1):
            a, b = (w.title() for w in rng.sample(WORDS, 2))
            name = rng.choice([f"{a} {b}", f"The {a} of {b}", f"{a} & {b}"])
            fandom = _Fandom(self.add(TagType.FANDOM, name + rng.choice(MEDIA)))
            if rank <= max(2, n // 50):  # big fandoms gather under an all-media meta tag
                meta = self.add(TagType.FANDOM, f"{name} - All Media Types")
                self.metas.append((fandom.tag, meta))
            if rank <= 3 or rng.random() < 0.04:
                self._synonym(fandom.tag, "".join(w[0] for w in name.split()) + " (fandom)")
            cast = []
            for _ in range(4 + int(60 / rank**0.5)):
                surname = "".join(rng.choices(SYLLABLES, k=2)).title()
                first = rng.choice(FIRST_NAMES)
                character = self.add(TagType.CHARACTER, f"{first} {surname}")
                cast.append((first, surname, character))
                self.fandom_links.append((character, fandom.tag))
                if rng.random() < 0.04:
                    self._synonym(character, f"{first} {surname[0]}.")
            fandom.characters = [c for *_, c in cast]
            leads = cast[: min(12, len(cast))]
            pairs = {tuple(sorted(rng.sample(range(len(leads)), 2))) for _ in range(2 + 40 // rank)}
            for i, j in sorted(pairs):
                one, other = leads[i], leads[j]
                sign = "/" if rng.random() < 0.7 else " & "
                names = (f"{one[0]} {one[1]}", f"{other[0]} {other[1]}")
                relationship = self.add(TagType.RELATIONSHIP, sign.join(names))
                fandom.relationships.append(relationship)
                self.fandom_links.append((relationship, fandom.tag))
                if rng.random() < 0.05:
                    self._synonym(relationship, sign.join(reversed(names)))
            fandom.character_weights = zipf(len(fandom.characters), 1)
            fandom.relationship_weights = zipf(len(fandom.relationships), 1)
            fandoms.append(fandom)
        return fandoms

    def _freeforms(self, n: int) -> list[int]:
        rng = self.rng
        by_name = {name: self.add(TagType.FREEFORM, name) for name in TROPES}
        for meta, subs in TROPE_META.items():
            self.metas += [(by_name[sub], by_name[meta]) for sub in subs]
        pool = list(by_name.values())
        while len(pool) < n:
            a, b = rng.sample(WORDS, 2)
            # The long tail is mostly unwrangled: tags nobody has looked at yet.
            wrangled = len(pool) < n * 0.7
            pool.append(self.add(TagType.FREEFORM, f"{a.title()} {b}s", canonical=wrangled))
        for tag in pool[:: max(2, n // 400)]:
            if tag not in self.unwrangled:
                self._synonym(tag, f"lots of {self.names[tag].lower()}")
        return pool

    def _filters(self) -> dict[int, tuple[tuple[int, str], ...]]:
        """Each tag's filter tags: its canonical form and that one's meta
        tags, transitively, with their types."""
        above: dict[int, list[int]] = {}
        for sub, meta in self.metas:
            above.setdefault(sub, []).append(meta)
        filters = {}
        for tag in self.types:
            canonical = self.mergers.get(tag, tag)
            found, stack = {canonical}, [canonical]
            while stack:
                for meta in above.get(stack.pop(), ()):
                    if meta not in found:
                        found.add(meta)
                        stack.append(meta)
            filters[tag] = tuple((t, self.types[t]) for t in sorted(found))
        return filters


class _Text:
    """Pools of paragraphs (HTML, word count) that chapters are cut from."""

    def __init__(self, rng: random.Random, paragraphs: int):
        self.rng = rng
        self.vocabulary = vocabulary()
        self.cum_weights = list(accumulate(1 / rank for rank in range(1, len(self.vocabulary) + 1)))
        self.english = [self._paragraph() for _ in range(paragraphs)]
        self.cjk = {
            language: [self._cjk_paragraph(text) for _ in range(200)]
            for language, text in CJK_TEXT.items()
        }

    def sentence(self) -> str:
        rng = self.rng
        words = rng.choices(self.vocabulary, cum_weights=self.cum_weights, k=rng.randint(5, 14))
        return " ".join(words).capitalize() + "."

    def _paragraph(self) -> tuple[str, int]:
        sentences = [self.sentence() for _ in range(self.rng.randint(2, 5))]
        if self.rng.random() < 0.06:
            phrase = self.rng.choice(PHRASES)
            sentences.insert(1, f"And {phrase}.")
        html = f"<p>{' '.join(sentences)}</p>"
        return html, word_count(html)

    def _cjk_paragraph(self, text: str) -> tuple[str, int]:
        start = self.rng.randrange(len(text) // 2)
        html = f"<p>{text[start:]}{text[:start]}</p>"
        return html, word_count(html)

    def chapter(self, language: str) -> tuple[str, int]:
        pool = self.cjk.get(language, self.english)
        chosen = self.rng.choices(pool, k=self.rng.randint(1, 3))
        return "".join(html for html, _ in chosen), sum(words for _, words in chosen)


class _Archive:
    """Draws the works, batch by batch, and writes them with their rows."""

    def __init__(self, works: int, seed: int, loader: _Loader):
        self.rng = rng = random.Random(seed)
        self.loader = loader
        self.end = min(LAST_DAY, dt.datetime.now(dt.UTC).replace(tzinfo=None))
        now = loader.when(self.end)
        self.fixed = fixed_tags()  # first: it creates any missing, taking ids
        self.tags = _Tags(rng, works)
        self.text = _Text(rng, paragraphs=min(3000, max(300, works)))
        for by_value in self.fixed.values():
            for tag in by_value.values():
                self.tags.filters[tag.pk] = ((tag.pk, tag.type),)
        self.languages = list(LANGUAGE_SHARES)
        self.language_weights = list(accumulate(LANGUAGE_SHARES.values()))
        self.ratings = list(RATINGS)
        self.rating_weights = list(accumulate(RATINGS.values()))
        self.next_work = (Work.objects.aggregate(m=models.Max("pk"))["m"] or 0) + 1
        self.tables = {
            Work: _Table(Work, WORK_COLUMNS, now),
            Chapter: _Table(Chapter, CHAPTER_COLUMNS, now),
            WorkTag: _Table(WorkTag, ("work_id", "tag_id", "position"), now),
            FilterTagging: _Table(FilterTagging, ("work_id", "tag_id", "tag_type"), now),
            Creatorship: _Table(Creatorship, ("work_id", "pseud_id", "position", "approved"), now),
        }
        self._creators(max(20, works // 8), now)
        self._write_tags(now)

    def pick(self, cum_weights: Sequence[float]) -> int:
        """An index drawn with these cumulative weights."""
        return min(bisect(cum_weights, self.rng.random() * cum_weights[-1]), len(cum_weights) - 1)

    def _creators(self, n: int, now: Any) -> None:
        """Users with a default pseud each; one in ten has a second pen name."""
        rng = self.rng
        taken = {name.lower() for name in User.objects.values_list("username", flat=True)}
        first_user = (User.objects.aggregate(m=models.Max("pk"))["m"] or 0) + 1
        next_pseud = (Pseud.objects.aggregate(m=models.Max("pk"))["m"] or 0) + 1
        users, pseuds = [], []
        self.creators: list[tuple[int, ...]] = []  # per user: (default pseud, other pseuds…)
        for user_id in range(first_user, first_user + n):
            name = f"{''.join(rng.choices(SYLLABLES, k=3))}{user_id}"
            while name.lower() in taken:
                name += "x"
            taken.add(name.lower())
            users.append((user_id, name, f"{name}@example.com", "!"))  # "!": no password
            own = [next_pseud]
            pseuds.append((next_pseud, user_id, name, True))
            if rng.random() < 0.1:
                pseuds.append((next_pseud + 1, user_id, f"{rng.choice(WORDS).title()} Pen", False))
                own.append(next_pseud + 1)
            next_pseud += len(own)
            self.creators.append(tuple(own))
        self.creator_weights = zipf(n, 20)
        self.loader.insert(_Table(User, ("id", "username", "email", "password"), now), users)
        self.loader.insert(_Table(Pseud, ("id", "user_id", "name", "is_default"), now), pseuds)

    def _write_tags(self, now: Any) -> None:
        tags = self.tags
        given = ("id", "name", "key", "match_key", "type", "slug", "canonical", "merger_id")
        self.loader.insert(_Table(Tag, given, now), tags.rows)
        self.loader.insert(_Table(MetaTagging, ("sub_id", "meta_id"), now), tags.metas)
        self.loader.insert(_Table(TagFandom, ("tag_id", "fandom_id"), now), tags.fandom_links)

    def _distinct(self, pool: list[int], weights: list[float], k: int) -> list[int]:
        """k different tags of the pool, the popular ones more often."""
        chosen: dict[int, None] = {}
        for _ in range(4 * k):
            if len(chosen) >= min(k, len(pool)):
                break
            chosen[pool[self.pick(weights)]] = None
        return list(chosen)

    def _tag_ids(self) -> list[int]:
        """A work's own tags in posting-form order: fandoms, relationships,
        characters, additional tags; sometimes a synonym stands for its tag."""
        rng, tags = self.rng, self.tags
        fandoms = [tags.fandoms[self.pick(tags.fandom_weights)]]
        if rng.random() < 0.08:  # a crossover
            other = tags.fandoms[self.pick(tags.fandom_weights)]
            if other is not fandoms[0]:
                fandoms.append(other)
        main = fandoms[0]
        chosen = [f.tag for f in fandoms]
        chosen += self._distinct(main.relationships, main.relationship_weights, rng.randint(0, 2))
        chosen += self._distinct(main.characters, main.character_weights, rng.randint(1, 4))
        chosen += self._distinct(tags.freeforms, tags.freeform_weights, rng.randint(1, 7))
        synonyms = tags.synonyms
        return [synonyms[t] if t in synonyms and rng.random() < 0.25 else t for t in chosen]

    def _fixed_ids(self, rng: random.Random) -> list[int]:
        warnings = random_warnings(rng)
        categories = rng.sample(Category.values, rng.choice([0, 1, 1, 1, 2]))
        fixed = self.fixed
        return [fixed[TagType.WARNING][w].pk for w in warnings] + [
            fixed[TagType.CATEGORY][c].pk for c in categories
        ]

    def batch(self, n: int, summary: CorpusSummary) -> None:
        rows: dict[type[models.Model], list[tuple]] = {model: [] for model in self.tables}
        for _ in range(n):
            self._work(rows)
        for model, table in self.tables.items():
            self.loader.insert(table, rows[model])
        summary.works += n
        summary.chapters += len(rows[Chapter])
        summary.work_tags += len(rows[WorkTag])
        summary.filter_taggings += len(rows[FilterTagging])

    def _work(self, rows: dict[type[models.Model], list[tuple]]) -> None:
        rng, when, text = self.rng, self.loader.when, self.text
        work_id = self.next_work
        self.next_work += 1
        roll = rng.random()
        state = WorkState.DRAFT if roll < 0.03 else WorkState.POSTED
        if roll > 0.997:
            state = WorkState.HIDDEN
        draft = state == WorkState.DRAFT
        language = self.languages[self.pick(self.language_weights)]
        rating = self.ratings[self.pick(self.rating_weights)]
        # Most works are one-shots; a long tail runs past a hundred chapters.
        n = 1 if rng.random() < 0.6 else min(200, 1 + int(rng.paretovariate(1.3)))
        # A work in progress sometimes holds its newest chapter back, unposted.
        counted = n - 1 if not draft and n > 1 and rng.random() < 0.05 else n
        if counted == 1:
            expected = 1 if rng.random() < 0.93 else None
        else:
            expected = rng.choice([counted, counted, None, counted + rng.randint(1, 20)])
        # Recent years have more works.
        published = self.end - dt.timedelta(days=YEARS * 365 * rng.random() ** 1.6)
        span = dt.timedelta(days=min(3000, 40 * n) * rng.random())
        dates = sorted(published + span * rng.random() for _ in range(n - 1))
        dates = [published, *(min(d, self.end) for d in dates)]
        chapters = [text.chapter(language) for _ in range(n)]
        words = sum(w for _, w in chapters[:counted])
        complete = counted == expected
        last = dates[counted - 1]
        if draft:
            hits = kudos = comments = bookmarks = 0
        else:
            hits = int(rng.lognormvariate(5.5, 1.6))
            kudos = int(hits * rng.random() * 0.15)
            comments = int(kudos * rng.random() * 0.4)
            bookmarks = int(kudos * rng.random() * 0.3)
        title = self._title(language)
        summary = f"<p>{text.sentence()} {text.sentence()}</p>"
        rows[Work].append(
            (
                work_id,
                title,
                summary,
                language,
                rating,
                expected,
                counted,
                complete,
                rng.random() < 0.05,  # restricted
                rng.random() < 0.02,  # anonymous
                state,
                None if draft else when(published),
                None if draft else when(last),
                when(last) if complete and not draft else None,
                when(published),
                when(last),
                words,
                hits,
                kudos,
                comments,
                bookmarks,
            )
        )
        for position, ((body, chapter_words), date) in enumerate(
            zip(chapters, dates, strict=True), 1
        ):
            posted = not draft and position <= counted
            stamp = when(date)
            rows[Chapter].append(
                (work_id, position, body, chapter_words, posted, stamp if posted else None)
                + (stamp, stamp)
            )
        tag_ids = self._tag_ids() + self._fixed_ids(rng)
        rows[WorkTag] += [(work_id, tag, i) for i, tag in enumerate(tag_ids)]
        filters: dict[int, str] = {}
        for tag in tag_ids:
            filters.update(self.tags.filters[tag])
        rating_tag = self.fixed[TagType.RATING][rating]
        filters[rating_tag.pk] = TagType.RATING
        rows[FilterTagging] += [(work_id, tag, tag_type) for tag, tag_type in filters.items()]
        creator = self.creators[self.pick(self.creator_weights)]
        pseud = creator[1] if len(creator) > 1 and rng.random() < 0.3 else creator[0]
        rows[Creatorship].append((work_id, pseud, 0, True))
        if rng.random() < 0.03:  # a co-creator
            other = self.creators[rng.randrange(len(self.creators))][0]
            if other not in creator:
                rows[Creatorship].append((work_id, other, 1, True))

    def _title(self, language: str) -> str:
        if language in CJK_TEXT:
            text = CJK_TEXT[language]
            start = self.rng.randrange(len(text) - 8)
            return text[start : start + self.rng.randint(3, 8)]
        a, b = (w.title() for w in self.rng.sample(WORDS, 2))
        return self.rng.choice([f"The {a} of {b}", f"{a} {b}", a, f"What the {a} Kept"])


# The columns each generated row gives, in order (the rest take their defaults).
WORK_COLUMNS = _words("""
id title summary language rating expected_chapters chapter_count complete restricted
anonymous state published_at updated_at completed_at created_at modified_at word_count
hits kudos_count comment_count bookmark_count
""")
CHAPTER_COLUMNS = _words(
    "work_id position body word_count posted published_at created_at modified_at"
)


def corpus_generate(
    *,
    works: int,
    seed: int = 1,
    batch: int = BATCH,
    progress: Callable[[int, float], None] | None = None,
) -> CorpusSummary:
    """Fill an archive that has no works yet with `works` generated works,
    their creators and tags; `progress(works done, seconds)` after each batch.
    Text sources stay empty: the HTML stands as its own source, as for a
    text written straight into the HTML field."""
    if Work.objects.exists():
        raise ValueError(
            "This database already has works: the corpus is generated into an empty archive only."
        )
    started = time.perf_counter()
    summary = CorpusSummary()
    loader = _Loader()
    with _bulk_load():
        with transaction.atomic():
            archive = _Archive(works, seed, loader)
        summary.tags = len(archive.tags.rows)
        with _indexes_set_aside(list(archive.tables)):
            for start in range(0, works, batch):
                with transaction.atomic():
                    archive.batch(min(batch, works - start), summary)
                if progress is not None:
                    progress(summary.works, time.perf_counter() - started)
    _after_load()
    summary.seconds = time.perf_counter() - started
    return summary


class _bulk_load:
    """Loading without the safety a live archive needs, the database being
    new (a crash would mean generating it again anyway). SQLite: no waiting
    for the disk, a bigger page cache (not inside a transaction, e.g. a
    test's, where SQLite refuses the change). PostgreSQL: no waiting for the
    disk at commit, and no foreign-key triggers when the role may skip them:
    the rows are made consistent here, and checking each one doubles the load."""

    SETTINGS = {
        "sqlite": [("PRAGMA synchronous=OFF", "PRAGMA synchronous=NORMAL")],
        "postgresql": [
            ("SET synchronous_commit TO OFF", "RESET synchronous_commit"),
            ("SET session_replication_role TO replica", "RESET session_replication_role"),
        ],
    }

    def __init__(self) -> None:
        self.settings = self.SETTINGS.get(connection.vendor, [])
        if connection.vendor == "sqlite" and connection.in_atomic_block:
            self.settings = []
        if connection.vendor == "postgresql" and not self._superuser():
            self.settings = self.settings[:1]

    @staticmethod
    def _superuser() -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            row = cursor.fetchone()
        return bool(row and row[0])

    def __enter__(self) -> None:
        with connection.cursor() as cursor:
            for on, _ in self.settings:
                cursor.execute(on)

    def __exit__(self, *exc: object) -> None:
        with connection.cursor() as cursor:
            for _, off in self.settings:
                cursor.execute(off)


class _indexes_set_aside:
    """The secondary indexes and unique constraints of the tables loaded in
    bulk, dropped for the load and made again after it: building an index
    once is several times quicker than keeping it in order row by row."""

    def __init__(self, tables: list[type[models.Model]]):
        self.saved: list[tuple[str, str]] = []  # (drop, create) statements
        with connection.cursor() as cursor:
            for model in tables:
                self.saved += self._indexes(cursor, model._meta.db_table)

    @staticmethod
    def _indexes(cursor: Any, table: str) -> list[tuple[str, str]]:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name, sql FROM sqlite_master "
                "WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
                [table],
            )
            return [(f'DROP INDEX "{name}"', sql) for name, sql in cursor.fetchall()]
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'u'",
            [table],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname "
            "NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
            [table, table],
        )
        return [
            (
                f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"',
                f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}',
            )
            for name, definition in constraints
        ] + [(f'DROP INDEX "{name}"', sql) for name, sql in cursor.fetchall()]

    def __enter__(self) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # PostgreSQL alters no table with deferred checks pending
                # (from earlier writes in an enclosing transaction): run them now.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for drop, _ in self.saved:
                cursor.execute(drop)

    def __exit__(self, *exc: object) -> None:
        with connection.cursor() as cursor:
            for _, create in self.saved:
                cursor.execute(create)
            if connection.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # as Django declares them


def _after_load() -> None:
    """What the raw inserts bypassed: sequences past the ids given here
    (PostgreSQL), planner statistics, and every process's caches and filter
    index, told that everything changed. The text index is left to
    `rebuild_search_index`."""
    pages_changed(everything=True)
    works_changed.send(sender=None, work_ids=None, text=False)
    if connection.vendor == "postgresql":
        loaded: list[type[models.Model]] = [User, Pseud, Tag, Work]
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), loaded):
                cursor.execute(sql)
            cursor.execute("ANALYZE")
    else:
        sqlite_refresh_statistics()
