"""A synthetic archive for the benchmark, written with bulk_create.

It is shaped like a real one: one user per ten works, whose output is
Zipf-skewed (a few prolific creators, many with one work); one fandom per fifty
works, Zipf-skewed too, each with its own characters and relationships; 3-15
tags and 1-30 chapters per work (most have 1-3); about 5% drafts and 5%
restricted works; series in their authors' own order. The stored counts
(chapters, words, status, dates) agree with the chapter rows, as
`work_refresh` would leave them.
"""

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from itertools import accumulate

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from duster.accounts.models import Pseud, User
from duster.lib.text import word_count
from duster.search.corpus import random_warnings
from duster.tags.filtering import work_filter_tags_refresh
from duster.tags.fixed import fixed_tags
from duster.tags.models import Tag, TagType, tag_key
from duster.works.models import (
    Category,
    Chapter,
    Creatorship,
    Rating,
    Series,
    SeriesEntry,
    Work,
    WorkState,
    WorkTag,
)


def _split(text: str) -> list[str]:
    return text.split()


WORDS = _split("""
lantern harbor quiet ember silver winter river thread morning hollow glass
distant kindred paper salt meadow storm letter tide bright bell shadow
garden fox ashes crown orchard echo velvet signal open iron north starlit
after gentle small burning last kept promise road home moth still wild
apple cinder quill wander hearth falling bridge rain dusk lighthouse true
""")
PROSE = WORDS + _split("""
the the the a a and and of of to to in in he she they it was was her his
their said looked back at on with for not but had were there would could
one into over hand again from like door eyes voice night light time
""")
SYLLABLES = _split("ka lo mi ra ne sa to vi el an or is un qu be da fe ge ho ri")
FIRST_NAMES = _split("""
Alex Mira Theo Juno Rowan Sasha Ilya Noor Felix Ada Corin Wren Hana Dario
Lev Maren Tobias Iris Nico Zara Elias Petra Kit Oona Rafe Signe Yusuf Lio
""")
TROPES = """
Fluff|Angst|Hurt/Comfort|Alternate Universe|Slow Burn|Found Family|Friends to Lovers|
Enemies to Lovers|Canon Compliant|Post-Canon|Missing Scene|Established Relationship|
Humor|Pining|Mutual Pining|Fix-It|Time Travel|Coffee Shop AU|Modern AU|Domestic|
Character Study|Introspection|Happy Ending|Open Ending|Major Character Injury|
Minor Character Death|First Kiss|Getting Together|Sharing a Bed|Road Trip|Holidays|
Secret Relationship|Amnesia|Soulmates|Magic|Whump|Crack|Drabble|Canon Divergence
""".replace("\n", "").split("|")
LANGUAGES = ["en"] * 18 + ["es", "fr", "de", "ja", "pt-br", "zh-hans", "ru"]
RATINGS = [Rating.GENERAL, Rating.TEEN, Rating.MATURE, Rating.EXPLICIT, Rating.NOT_RATED]
RATING_WEIGHTS = [25, 30, 20, 15, 10]
# Most works are one-shots or short; a long tail runs to 30 chapters.
CHAPTER_COUNTS = range(1, 31)
CHAPTER_CUM = list(accumulate([60, 12, 8, *(9 / n for n in range(4, 31))]))
SPAN = dt.timedelta(days=5 * 365)  # how far back works were published
BATCH = 500  # works per round of bulk inserts


@cache
def zipf(n: int) -> tuple[float, ...]:
    """Cumulative Zipf weights (s = 1) for ranks 1..n, for random.choices()."""
    return tuple(accumulate(1 / rank for rank in range(1, n + 1)))


@dataclass
class Fandom:
    """A fandom tag with its own characters and relationships, the first ones
    of each list the most used."""

    tag: Tag
    characters: list[Tag] = field(default_factory=list)
    relationships: list[Tag] = field(default_factory=list)


def generate(works: int, *, seed: int = 1) -> None:
    """Fill an empty database with `works` works and everything around them."""
    with transaction.atomic():
        _Archive(random.Random(seed), works).build()


class _Archive:
    def __init__(self, rng: random.Random, works: int):
        self.rng = rng
        self.total = works
        self.now = timezone.now()
        self.tags: list[Tag] = []
        self.tag_keys: set[tuple[str, str]] = set()
        self.slugs: set[str] = set()
        self.paragraphs = [self._paragraph() for _ in range(400)]

    def build(self) -> None:
        self._creators(max(50, self.total // 10))
        self._tag_pools(fandoms=max(20, self.total // 50), freeforms=max(100, self.total // 5))
        own_works = defaultdict(list)
        for start in range(0, self.total, BATCH):
            self._works(min(BATCH, self.total - start), own_works)
        self._series(own_works)

    # Text

    def _sentence(self) -> str:
        words = self.rng.choices(PROSE, k=self.rng.randint(6, 20))
        return " ".join(words).capitalize() + "."

    def _paragraph(self) -> tuple[str, int]:
        html = "<p>" + " ".join(self._sentence() for _ in range(self.rng.randint(3, 8))) + "</p>"
        return html, word_count(html)

    def _chapter_text(self) -> tuple[str, int]:
        paragraphs = self.rng.choices(self.paragraphs, k=self.rng.randint(3, 25))
        if len(paragraphs) > 8 and self.rng.random() < 0.3:
            paragraphs.insert(len(paragraphs) // 2, ("<hr>", 0))  # a scene break
        return "".join(p for p, _ in paragraphs), sum(n for _, n in paragraphs)

    def _title(self) -> str:
        a, b = (w.title() for w in self.rng.sample(WORDS, 2))
        return self.rng.choice([f"The {a} of {b}", f"{a} {b}", a, f"What the {a} Kept"])

    def _maybe_note(self, chance: float) -> str:
        return f"<p>{self._sentence()}</p>" if self.rng.random() < chance else ""

    # Users and tags

    def _creators(self, n: int) -> None:
        names: set[str] = set()
        while len(names) < n:
            stem = "".join(self.rng.choices(SYLLABLES, k=self.rng.randint(2, 4)))
            names.add(f"{stem}{self.rng.randint(1, 999)}")
        users = User.objects.bulk_create(
            # "!" starts an unusable password: nobody logs in as these.
            User(username=name, email=f"{name}@example.com", password="!")
            for name in sorted(names)
        )
        pseuds = [Pseud(user=user, name=user.username, is_default=True) for user in users]
        for user in self.rng.sample(users, n // 10):
            for number in range(1, self.rng.randint(2, 3)):
                pseuds.append(Pseud(user=user, name=f"{self.rng.choice(WORDS).title()} {number}"))
        Pseud.objects.bulk_create(pseuds)
        by_user = defaultdict(list)
        for pseud in pseuds:
            by_user[pseud.user_id].append(pseud)
        # (user, default pseud, pen names) from most to least prolific
        self.creators = [(u, by_user[u.pk][0], by_user[u.pk][1:]) for u in users]
        self.rng.shuffle(self.creators)

    def _tag(self, tag_type: TagType, name: str) -> Tag:
        base, number = name, 1
        while (tag_type, tag_key(name)) in self.tag_keys:
            number += 1
            name = f"{base} {number}"
        slug = slugify(name, allow_unicode=True)
        while slug in self.slugs:
            slug += "-x"
        self.tag_keys.add((tag_type, tag_key(name)))
        self.slugs.add(slug)
        tag = Tag(name=name, key=tag_key(name), type=tag_type, slug=slug)
        self.tags.append(tag)
        return tag

    def _tag_pools(self, *, fandoms: int, freeforms: int) -> None:
        self.fandoms = []
        for _ in range(fandoms):
            fandom = Fandom(self._tag(TagType.FANDOM, self._title()))
            for _ in range(self.rng.randint(6, 30)):
                surname = "".join(self.rng.choices(SYLLABLES, k=2)).title()
                name = f"{self.rng.choice(FIRST_NAMES)} {surname}"
                fandom.characters.append(self._tag(TagType.CHARACTER, name))
            leads = range(min(12, len(fandom.characters)))  # who gets paired up
            tries = range(self.rng.randint(3, 15))
            pairs = {tuple(sorted(self.rng.sample(leads, 2))) for _ in tries}
            for a, b in sorted(pairs):
                sign = "/" if self.rng.random() < 0.7 else " & "
                name = f"{fandom.characters[a]}{sign}{fandom.characters[b]}"
                fandom.relationships.append(self._tag(TagType.RELATIONSHIP, name))
            self.fandoms.append(fandom)
        self.freeforms = [self._tag(TagType.FREEFORM, trope) for trope in TROPES]
        while len(self.freeforms) < freeforms:
            a, b = self.rng.sample(WORDS, 2)
            self.freeforms.append(self._tag(TagType.FREEFORM, f"{a.title()} {b}"))
        Tag.objects.bulk_create(self.tags, batch_size=1000)

    def _pick(self, pool: list, k: int) -> list:
        """k different items of `pool`, the first ones (the popular) more often."""
        chosen = {}
        while len(chosen) < min(k, len(pool)):
            item = self.rng.choices(pool, cum_weights=zipf(len(pool)))[0]
            chosen.setdefault(id(item), item)
        return list(chosen.values())

    def _work_tags(self) -> list[Tag]:
        """3-15 tags: fandoms first, then relationships, characters, freeforms."""
        rng = self.rng
        fandoms = self._pick(self.fandoms, 2 if rng.random() < 0.1 else 1)
        left = rng.randint(3, 15) - len(fandoms)
        relationships = rng.randint(0, min(3, left))
        characters = rng.randint(min(1, left - relationships), min(6, left - relationships))
        freeforms = left - relationships - characters
        tags = [fandom.tag for fandom in fandoms]
        main = fandoms[0]
        tags += self._pick(main.relationships, relationships)
        tags += self._pick(main.characters, characters)
        tags += self._pick(self.freeforms, freeforms)
        return tags

    # Works, chapters, series

    def _work(self) -> tuple[Work, list[Chapter], list[Tag], list[Pseud]]:
        rng = self.rng
        user, default, pen_names = self._pick(self.creators, 1)[0]
        pseuds = [rng.choice(pen_names) if pen_names and rng.random() < 0.3 else default]
        if rng.random() < 0.03:
            other = rng.choice(self.creators)
            if other[0] != user:
                pseuds.append(other[1])
        posted = rng.random() >= 0.05
        n = rng.choices(CHAPTER_COUNTS, cum_weights=CHAPTER_CUM)[0]
        texts = [self._chapter_text() for _ in range(n)]
        if posted:
            published = self.now - SPAN * rng.random()
            later = sorted(published + (self.now - published) * rng.random() for _ in texts[1:])
            dates = [published, *later]
        else:
            published, dates = None, [None] * n
        # A work in progress sometimes holds its newest chapter back, unposted.
        counted = n - 1 if posted and n > 1 and rng.random() < 0.05 else n
        if counted == 1:
            expected = 1 if rng.random() < 0.9 else None
        else:
            expected = rng.choice([counted, counted, None, counted + rng.randint(1, 10)])
        complete = expected is not None and counted >= expected
        last = dates[counted - 1]
        warnings = random_warnings(rng)
        work = Work(
            title=self._title(),
            summary=f"<p>{' '.join(self._sentence() for _ in range(rng.randint(1, 4)))}</p>",
            notes=self._maybe_note(0.3),
            end_notes=self._maybe_note(0.15),
            language=rng.choice(LANGUAGES),
            rating=rng.choices(RATINGS, RATING_WEIGHTS)[0],
            warnings=warnings,
            categories=rng.sample(Category.values, rng.choice([0, 1, 1, 1, 2])),
            expected_chapters=expected,
            chapter_count=counted,
            complete=complete,
            restricted=rng.random() < 0.05,
            state=WorkState.POSTED if posted else WorkState.DRAFT,
            published_at=published,
            updated_at=last,
            completed_at=(last or self.now) if complete else None,
            word_count=sum(words for _, words in texts[:counted]),
            hits=int(rng.lognormvariate(5, 1.5)) if posted else 0,
        )
        chapters = [
            Chapter(
                work=work,
                position=number,
                title=self._title() if n > 1 and rng.random() < 0.4 else "",
                summary=self._maybe_note(0.1),
                notes=self._maybe_note(0.2),
                end_notes=self._maybe_note(0.1),
                body=body,
                word_count=words,
                posted=posted and number <= counted,
                published_at=date if number <= counted else None,
            )
            for number, ((body, words), date) in enumerate(zip(texts, dates, strict=True), 1)
        ]
        return work, chapters, self._work_tags(), pseuds

    def _works(self, n: int, own_works: dict[int, list[Work]]) -> None:
        made = [self._work() for _ in range(n)]
        Work.objects.bulk_create(work for work, *_ in made)
        chapters, work_tags, credits = [], [], []
        fixed = fixed_tags()
        for work, work_chapters, tags, pseuds in made:
            # Warnings and categories are fixed tags; bulk_create left them pending.
            pending = work.__dict__.pop("fixed_pending", {})
            tags = tags + [
                fixed[kind][value] for kind, values in pending.items() for value in values
            ]
            for chapter in work_chapters:
                chapter.work = work  # now that it has a primary key
            chapters += work_chapters
            work_tags += (WorkTag(work=work, tag=t, position=i) for i, t in enumerate(tags))
            credits += (
                Creatorship(work=work, pseud=p, position=i, approved=True)
                for i, p in enumerate(pseuds)
            )
            own_works[pseuds[0].user_id].append(work)
        Chapter.objects.bulk_create(chapters, batch_size=500)
        WorkTag.objects.bulk_create(work_tags, batch_size=2000)
        Creatorship.objects.bulk_create(credits, batch_size=2000)
        work_filter_tags_refresh(work_ids=[work.pk for work, *_ in made])

    def _series(self, own_works: dict[int, list[Work]]) -> None:
        """About a third of the creators with two or more works group some of
        them into series, in an order of their own (not by date)."""
        planned = []
        for user, default, _ in self.creators:
            works = own_works.get(user.pk, [])
            if len(works) < 2 or self.rng.random() > 0.35:
                continue
            for _ in range(1 + len(works) // 25):
                parts = self.rng.sample(works, self.rng.randint(2, min(8, len(works))))
                series = Series(
                    title=self._title(),
                    summary=self._maybe_note(0.8),
                    complete=self.rng.random() < 0.5,
                )
                planned.append((series, default, parts))
        Series.objects.bulk_create(series for series, *_ in planned)
        SeriesEntry.objects.bulk_create(
            (
                SeriesEntry(series=series, work=work, position=number)
                for series, _, parts in planned
                for number, work in enumerate(parts, 1)
            ),
            batch_size=2000,
        )
        Creatorship.objects.bulk_create(
            (Creatorship(series=s, pseud=pseud, approved=True) for s, pseud, _ in planned),
            batch_size=2000,
        )
