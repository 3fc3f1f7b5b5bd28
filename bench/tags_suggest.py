"""Tag suggestions: how often the wrangling queue proposes the right
canonical tag, and how fast the posting form's as-you-type look-up answers.

    .venv/bin/python bench/tags_suggest.py [--tags 500000] [--queries 400] [--keep]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/duster_bench \\
        .venv/bin/python bench/tags_suggest.py

1. Accuracy. The canonical tags are the eFiction fixture archive's own
   (../shared/fixtures/efiction/archive-a.sql: categories become fandoms,
   sub-categories sub fandoms, characters characters in their fandom,
   classes additional tags) plus relationships between characters of one
   fandom, and one existing synonym ("Ember Road" for "The Ember Road").
   New tags are spellings of those a writer might type, each with the
   answer a wrangler would give: punctuation and spacing variants,
   misspellings (a swap, a dropped, a doubled or a wrong letter), first or
   last names, pairings in another order or with another separator, and
   names that mean something else (no suggestion is right for those). A
   new tag's fandom is given as a parent fandom. Prints right, wrong,
   missing (no suggestion where one was due) and rightly silent.
2. Speed. With --tags tags in the database (names from syllables, half of
   them canonical, in every type), the JSON look-up `/tags/autocomplete`
   is asked --queries times through django.test.Client for 2-8 letter
   prefixes and later words of existing names; prints p50 and p95 in ms
   (target: p95 <= 20 ms).

Uses var/bench/tags.sqlite3, or the DATABASE_URL database with "_tags"
appended. --keep reuses the 500,000 tags made last time.
"""

# ruff: noqa: E402
import argparse
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
FIXTURE = ROOT.parent / "shared" / "fixtures" / "efiction" / "archive-a.sql"
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "duster.settings"
os.environ["DUSTER_VAR_DIR"] = str(BENCH_DIR)
os.environ["DEBUG"] = "0"
OWN_SQLITE = "DATABASE_URL" not in os.environ
if OWN_SQLITE:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{BENCH_DIR / 'tags.sqlite3'}"

import django

django.setup()

from django.core.management import call_command
from django.db import connection
from django.test import Client

from bench.databases import use_database
from duster.tags.models import Tag, TagFandom, TagType, tag_key
from duster.tags.wrangling.suggestions import suggestions_for

TARGET_P95_MS = 20


def use_own_database() -> None:
    if OWN_SQLITE:
        return
    use_database(f"{connection.settings_dict['NAME']}_tags")


# The fixture's tags

_ROW = re.compile(r"INSERT INTO `fanfiction_(\w+)` VALUES \((.*)\);$")


def _values(text: str) -> list[str]:
    """The values of one dumped row (numbers and quoted strings)."""
    values, current, quoted, escaped = [], "", False, False
    for ch in text:
        if escaped:
            current, escaped = current + ch, False
        elif ch == "\\":
            escaped = True
        elif ch == "'":
            quoted = not quoted
        elif ch == "," and not quoted:
            values.append(current)
            current = ""
        else:
            current += ch
    values.append(current)
    return values


def fixture_tags() -> tuple[dict[int, tuple[str, int]], list[tuple[str, int]], list[str]]:
    """({catid: (name, parent catid)}, [(character, catid)], [class names])."""
    categories, characters, classes = {}, [], []
    for line in FIXTURE.read_text(encoding="utf-8").splitlines():
        match = _ROW.match(line)
        if not match:
            continue
        table, values = match.group(1), _values(match.group(2))
        if table == "categories":
            categories[int(values[0])] = (values[2], int(values[1]))
        elif table == "characters":
            characters.append((values[2], int(values[1])))
        elif table == "classes":
            classes.append(values[2])
    return categories, characters, classes


# Spellings a writer might type


def misspellings(name: str, rng: random.Random) -> list[str]:
    letters = [i for i, ch in enumerate(name) if ch.isalpha()]
    if len(letters) < 4:
        return []
    out = []
    i = rng.choice(letters[1:-1])
    out.append(name[:i] + name[i + 1] + name[i] + name[i + 2 :])  # swap
    i = rng.choice(letters[1:])
    out.append(name[:i] + name[i + 1 :])  # dropped
    i = rng.choice(letters)
    out.append(name[: i + 1] + name[i] + name[i + 1 :])  # doubled
    i = rng.choice(letters[1:])
    wrong = "e" if name[i].lower() != "e" else "a"
    out.append(name[:i] + wrong + name[i + 1 :])  # a wrong letter
    return [s for s in out if s != name]


def spacing(name: str) -> list[str]:
    return [name.replace(" ", "-"), name.replace(" ", ""), name.replace(" ", "_") + "."]


class Archive:
    """The canonical tags and the new tags with their right answers."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.canonical: dict[tuple[str, str], Tag] = {}
        self.cases: list[tuple[str, str, str | None, str | None]] = []  # type, name, fandom, answer

    def add(self, tag_type: str, name: str, fandom: str | None = None) -> Tag:
        tag = Tag(name=name, type=tag_type, canonical=True, slug=f"c-{len(self.canonical)}")
        self.canonical[(tag_type, name)] = tag
        tag._fandom = fandom  # type: ignore[attr-defined]
        return tag

    def case(self, tag_type: str, name: str, fandom: str | None, answer: str | None) -> None:
        self.cases.append((tag_type, name, fandom, answer))

    def build(self) -> None:
        categories, characters, classes = fixture_tags()
        fandom_of = {catid: name for catid, (name, _parent) in categories.items()}
        for name, _parent in categories.values():
            self.add(TagType.FANDOM, name)
        by_fandom: dict[str, list[str]] = {}
        for name, catid in characters:
            fandom = fandom_of.get(catid)
            self.add(TagType.CHARACTER, name, fandom)
            by_fandom.setdefault(fandom or "", []).append(name)
        for name in classes:
            self.add(TagType.FREEFORM, name)
        pairs = []
        for fandom, names in by_fandom.items():
            for i, a in enumerate(names):
                for b in names[i + 1 :]:
                    pairs.append((a, b, fandom))
        for a, b, fandom in pairs:
            self.add(TagType.RELATIONSHIP, f"{a}/{b}", fandom or None)
        platonic = pairs[::3]
        for a, b, fandom in platonic:
            self.add(TagType.RELATIONSHIP, f"{a} & {b}", fandom or None)

        # Fandoms: spacing, misspellings, and the pattern of the one synonym.
        for name, _parent in categories.values():
            for spelled in spacing(name) + misspellings(name, self.rng):
                self.case(TagType.FANDOM, spelled, None, name)
            if name.startswith("The ") and name != "The Ember Road":
                self.case(TagType.FANDOM, name[4:], None, name)
        self.case(TagType.FANDOM, "Clockwork Harbor Mysteries", None, None)
        self.case(TagType.FANDOM, "Lamplighter", None, None)
        # Characters.
        not_names = {"the", "mother", "original", "character"}
        for name, catid in characters:
            fandom = fandom_of.get(catid)
            for spelled in spacing(name) + misspellings(name, self.rng):
                self.case(TagType.CHARACTER, spelled, fandom, name)
            words = name.split()
            if len(words) > 1 and fandom:
                for word in (words[0], words[-1]):
                    if word.lower() not in not_names:
                        self.case(TagType.CHARACTER, word, fandom, name)
        for other, fandom in [
            ("Ada Vell", "The Ember Road"),
            ("Tim", "Clockwork Harbour"),
            ("Odette Marchetti", "Clockwork Harbour"),
            ("Harbourmaster", "Clockwork Harbour"),
            ("Wren's Mother", "The Ember Road"),
        ]:
            self.case(TagType.CHARACTER, other, fandom, None)
        # Relationships.
        platonic_names = {f"{a} & {b}" for a, b, _ in platonic}
        for a, b, fandom in pairs:
            romantic = f"{a}/{b}"
            first_a, first_b = a.split()[0], b.split()[0]
            usable_first = first_a.lower() not in not_names and first_b.lower() not in not_names
            spellings = [f"{b}/{a}", f"{a.lower()} x {b.lower()}", f"{b} × {a}"]
            if usable_first:
                spellings.append(f"{first_b}/{first_a}")
            for spelled in spellings:
                self.case(TagType.RELATIONSHIP, spelled, fandom or None, romantic)
            friends = f"{a} & {b}"
            answer = friends if friends in platonic_names else None
            self.case(TagType.RELATIONSHIP, f"{b} & {a}", fandom or None, answer)
            if usable_first:
                self.case(TagType.RELATIONSHIP, f"{first_a} & {first_b}", fandom or None, answer)
        # Additional tags.
        for name in classes:
            for spelled in spacing(name) + misspellings(name, self.rng):
                self.case(TagType.FREEFORM, spelled, None, name)
        for other in ("Hurt/Comfort", "Fluff", "Angels", "Romance Novel", "Drams"):
            self.case(TagType.FREEFORM, other, None, None)


def accuracy(seed: int) -> None:
    call_command("flush", "--noinput", verbosity=0)
    archive = Archive(random.Random(seed))
    archive.build()
    Tag.objects.bulk_create(archive.canonical.values())
    by_name = {(t.type, t.name): t for t in Tag.objects.filter(canonical=True)}
    links = []
    for (tag_type, name), tag in archive.canonical.items():
        fandom = getattr(tag, "_fandom", None)
        if fandom:
            links.append(
                TagFandom(tag=by_name[(tag_type, name)], fandom=by_name[("fandom", fandom)])
            )
    TagFandom.objects.bulk_create(links)
    ember = by_name[("fandom", "The Ember Road")]
    Tag.objects.create(name="Ember Road", type="fandom", slug="ember-road", merger=ember)
    keys = set(Tag.objects.values_list("type", "key"))
    new_tags, fandoms, answers, folded = [], [], [], 0
    for n, (tag_type, name, fandom, answer) in enumerate(archive.cases):
        if (tag_type, tag_key(name)) in keys:
            folded += 1  # one tag already: the key sets case and accents aside
            continue
        keys.add((tag_type, tag_key(name)))
        new_tags.append(Tag(name=name, type=tag_type, slug=f"n-{n}"))
        fandoms.append(fandom)
        answers.append(answer)
    made = Tag.objects.bulk_create(new_tags)
    made = list(Tag.objects.filter(slug__startswith="n-").order_by("pk"))
    slug_order = {t.slug: i for i, t in enumerate(new_tags)}
    made.sort(key=lambda t: slug_order[t.slug])
    TagFandom.objects.bulk_create(
        TagFandom(tag=tag, fandom=by_name[("fandom", fandom)])
        for tag, fandom in zip(made, fandoms, strict=True)
        if fandom
    )
    started = time.perf_counter()
    suggested = {}
    for start in range(0, len(made), 200):
        suggested.update(suggestions_for(made[start : start + 200]))
    seconds = time.perf_counter() - started
    counts = {"right": 0, "wrong": 0, "missing": 0, "rightly silent": 0}
    by_rule: dict[str, int] = {}
    wrong = []
    for tag, answer in zip(made, answers, strict=True):
        found = suggested.get(tag.pk)
        got = found.canonical.name if found else None
        if got is None:
            counts["missing" if answer else "rightly silent"] += 1
        elif got == answer:
            counts["right"] += 1
            by_rule[found.rule] = by_rule.get(found.rule, 0) + 1
        else:
            counts["wrong"] += 1
            wrong.append(f"    {tag.type} “{tag.name}” → “{got}” (expected {answer!r})")
    total = len(made)
    print(
        f"Suggestion accuracy ({connection.vendor}): {total} new tags, "
        f"{len(archive.canonical) + 1} canonical tags and synonyms; "
        f"{folded} more spellings were already one tag by their key"
    )
    for label, number in counts.items():
        print(f"  {label:<15} {number:>5}  ({100 * number / total:.1f}%)")
    print("  right, by rule: " + ", ".join(f"{k} {v}" for k, v in sorted(by_rule.items())))
    print(f"  time: {seconds * 1000:.0f} ms for {total} tags in batches of 200")
    if wrong:
        print("  wrong:")
        print("\n".join(wrong[:20]))
    missing = [
        f"    {t.type} “{t.name}” (expected “{a}”)"
        for t, a in zip(made, answers, strict=True)
        if a and t.pk not in suggested
    ]
    if missing:
        print("  missing:")
        print("\n".join(missing[:25]))


# Speed with many tags

SYLLABLES = (  # noqa: SIM905
    "ka ri to mel an dor sa vi len ta bri os el mar qu in ne la ro is ha wen fe ly "
    "gar th ul ce pa zo mi ra ve ni co bel dra gon fi ar"
).split()


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def fill(total: int, seed: int) -> None:
    rng = random.Random(seed)
    call_command("flush", "--noinput", verbosity=0)
    types = [TagType.FANDOM, TagType.CHARACTER, TagType.RELATIONSHIP, TagType.FREEFORM]
    weights = [1, 4, 4, 3]
    seen: set[tuple[str, str]] = set()
    batch: list[Tag] = []
    made = 0
    started = time.perf_counter()
    while made < total:
        tag_type = rng.choices(types, weights)[0]
        if tag_type == TagType.RELATIONSHIP:
            name = f"{_word(rng)} {_word(rng)}/{_word(rng)} {_word(rng)}"
        elif tag_type == TagType.FANDOM:
            name = f"The {_word(rng)} {_word(rng)} ({rng.choice(['TV', 'Books', 'Movies'])})"
        else:
            name = " ".join(_word(rng) for _ in range(rng.randint(1, 3)))
        key = (tag_type, tag_key(name))
        if key in seen:
            continue
        seen.add(key)
        batch.append(Tag(name=name, type=tag_type, canonical=rng.random() < 0.5, slug=f"t{made}"))
        made += 1
        if len(batch) == 5000:
            Tag.objects.bulk_create(batch)
            batch = []
    Tag.objects.bulk_create(batch)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE tags_tag")
    print(f"Made {total:,} tags in {time.perf_counter() - started:.0f} s")


def speed(queries: int, seed: int) -> bool:
    rng = random.Random(seed + 1)
    sample = list(
        Tag.objects.filter(canonical=True).order_by("?").values_list("type", "name")[:queries]
    )
    client = Client()
    asks = []
    for tag_type, name in sample:
        words = re.split(r"[ /]", name)
        word = rng.choice(words) if rng.random() < 0.3 else name
        asks.append((tag_type, word[: rng.randint(2, 8)]))
    for tag_type, prefix in asks[:20]:  # warm up
        client.get("/tags/autocomplete", {"q": prefix, "type": tag_type})
    times, found = [], 0
    for tag_type, prefix in asks:
        started = time.perf_counter()
        response = client.get("/tags/autocomplete", {"q": prefix, "type": tag_type})
        times.append((time.perf_counter() - started) * 1000)
        found += bool(response.json()["tags"])
    times.sort()
    p50 = statistics.median(times)
    p95 = times[int(len(times) * 0.95) - 1]
    count = Tag.objects.count()
    verdict = "PASS" if p95 <= TARGET_P95_MS else "FAIL"
    print(
        f"As-you-type ({connection.vendor}, {count:,} tags, {len(times)} queries, "
        f"{found} with results): p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {times[-1]:.1f} ms "
        f"(target p95 <= {TARGET_P95_MS} ms): {verdict}"
    )
    return p95 <= TARGET_P95_MS


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tags", type=int, default=500_000)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="reuse the tags made last time")
    args = parser.parse_args()
    use_own_database()
    call_command("migrate", "--noinput", verbosity=0)
    if not args.keep:
        accuracy(args.seed)
    if not args.keep or Tag.objects.count() < args.tags:
        fill(args.tags, args.seed)
    return 0 if speed(args.queries, args.seed) else 1


if __name__ == "__main__":
    sys.exit(main())
