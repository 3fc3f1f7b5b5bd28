"""Bringing a whole eFiction archive into Duster, from the rows `read_dump` gives.

In this order, so everything a row points at exists when it is written:

1. members → accounts nobody has claimed yet (no usable password), pen names → pseuds;
2. stories → works, each with its chapters, tags and co-creators in one transaction (a story
   is imported whole or not at all);
3. series, with sub-series' stories in their place in the reading order;
4. reviews → comments (author responses split out as replies), a story's reviews together;
5. favourites → bookmarks (stories, series) and subscriptions (authors).

Every object written gets a `LegacyId` with a digest of the rows it came from. Running the
import again skips what is unchanged, updates what changed and adds what is new; an object
removed in Duster since is left removed. Writes go through the services posting uses, so text
is sanitized and validated the same way; subscribers are not told of imported postings.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from duster.accounts.models import RESERVED_USERNAMES, Pseud, User
from duster.community.choices import CommentState
from duster.community.models import Bookmark, Comment
from duster.community.services.counts import work_count_add
from duster.community.services.subscriptions import subscription_add
from duster.imports.efiction.dump import Dump, Row
from duster.imports.efiction.mapping import Mapping, clean_name, default_mapping
from duster.imports.efiction.text import (
    as_int,
    as_text,
    id_list,
    parse_date,
    repair_double_encoding,
    strip_slashes,
)
from duster.imports.models import EFICTION, ImportKind, LegacyId
from duster.imports.services import validation_text
from duster.imports.words import warnings_settled
from duster.lib.pagecache import bumps_on_commit
from duster.lib.richtext import full_clean_public
from duster.works.choices import LANGUAGE_NAMES
from duster.works.models import Chapter, Creatorship, Series, SeriesEntry, Work, WorkState
from duster.works.rules import NOTES_MAX, SUMMARY_MAX, TITLE_MAX, tag_limit
from duster.works.services.chapters import (
    chapter_create,
    chapter_post,
    chapter_update,
)
from duster.works.services.series import series_add_work, series_create, series_update
from duster.works.services.stats import work_refresh, works_touch
from duster.works.services.works import (
    creatorship_respond,
    work_create,
    work_post,
    work_update,
)
from duster.works.signals import postings_unannounced

# eFiction appends an author's response to the review text (reviews.respond = '1').
_RESPONSE = re.compile(
    r"(?:\s*<br\s*/?>)*\s*<i>\s*Author(?:'|’|&#0?39;)s Response:\s*(?P<reply>.*?)\s*</i>\s*$",
    re.S | re.I,
)
_BLOCKS = re.compile(r"<(?:p|div|blockquote|ol|ul|dl|table|center|h[1-6]|hr|pre)\b", re.I)
_BREAKS = re.compile(r"(?:\s*<br\s*/?>\s*){2,}", re.I)
_USERNAME_BAD = re.compile(r"[^A-Za-z0-9_]+")
_PSEUD_BAD = re.compile(r"[^\w .-]+")


# Stories (or a story's reviews, or favourites) written per transaction: each story is its own
# savepoint inside, so one that fails leaves nothing behind, and a crash loses no more than
# the batch, which the next run imports.
BATCH = 50


def _batches(items: list, size: int | None = None) -> Iterator[list]:
    size = size or BATCH
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Rollback(Exception):
    """Raised at the end of a dry run, so nothing it wrote is kept."""


@dataclass
class Report:
    """Counts per kind and outcome, with a reason for everything skipped."""

    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, kind: str, outcome: str, why: str = "") -> None:
        self.counts[(kind, outcome)] += 1
        if why:
            self.skipped.append(f"{kind} {why}")

    def lines(self) -> list[str]:
        kinds = list(dict.fromkeys(kind for kind, _ in self.counts))
        out = []
        for kind in kinds:
            parts = [
                f"{self.counts[(kind, outcome)]} {outcome}"
                for outcome in ("imported", "updated", "unchanged", "skipped")
                if self.counts[(kind, outcome)]
            ]
            out.append(f"{kind}: {', '.join(parts)}")
        out += [f"skipped: {line}" for line in self.skipped]
        out += [f"note: {line}" for line in self.notes]
        return out


def _digest(*parts: object) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def _text(value: object) -> str:
    """Text as eFiction stored it, with double-encoded UTF-8 repaired where that is clear."""
    return repair_double_encoding(as_text(value)).replace("\r\n", "\n").replace("\r", "\n")


def story_html(text: str) -> str:
    """Chapter text as eFiction shows it, with paragraphs where it has none: text with no
    markup for lines has its blank lines made paragraphs and its single line breaks kept
    (eFiction's nl2br); text laid out with line breaks alone ("<br /><br />") has those
    runs made paragraphs."""
    text = text.strip()
    if not text or _BLOCKS.search(text):
        return text
    if _BREAKS.search(text):
        paragraphs = [p.strip() for p in _BREAKS.split(text)]
    elif re.search(r"<br\b", text, re.I):
        return text
    else:
        paragraphs = [p.strip().replace("\n", "<br>") for p in re.split(r"\n\s*\n", text)]
    return "".join(f"<p>{p}</p>" for p in paragraphs if p)


def _fit(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a space where one is near."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut) + "…"


def _username(penname: str, uid: int, taken: Callable[[str], bool]) -> str:
    folded = unicodedata.normalize("NFKD", penname).encode("ascii", "ignore").decode()
    base = _USERNAME_BAD.sub("_", folded).strip("_")[:40] or f"member_{uid}"
    if len(base) < 3:
        base = f"{base}_{uid}"
    name = base
    n = 1
    while taken(name):
        n += 1
        suffix = f"_{uid}" if n == 2 else f"_{uid}_{n}"
        name = base[: 40 - len(suffix)] + suffix
    return name


def _pseud_name(penname: str, username: str) -> str:
    name = re.sub(r"\s+", " ", _PSEUD_BAD.sub("", penname)).strip()[:40].strip()
    return name or username


class ArchiveImport:
    """One run of the import. `run()` returns the Report; `progress(done, total)` is called
    as stories, reviews and favourites are done."""

    def __init__(
        self,
        dump: Dump,
        *,
        source: str = EFICTION,
        files_dir: Path | None = None,
        mapping: Mapping | None = None,
        dry_run: bool = False,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.dump = dump
        self.source = source
        self.files_dir = files_dir
        self.mapping = mapping or default_mapping(dump)
        self.mapping_digest = self.mapping.digest_part
        self.dry_run = dry_run
        self.progress = progress or (lambda done, total: None)
        self.report = Report()
        self.now = timezone.now()
        language = as_text(dump.settings.get("language")).strip().lower()[:2]
        self.language = language if language in LANGUAGE_NAMES else "en"
        # uid -> User, sid -> Work, seriesid -> Series, chapid -> Chapter (filled as we go)
        self.users: dict[int, User] = {}
        self.pseuds: dict[int, Pseud] = {}
        self.works: dict[int, Work] = {}
        self.series: dict[int, Series] = {}
        self.chapters: dict[int, int] = {}  # chapid -> Chapter pk
        self.ratings = {as_int(r.get("rid")): r for r in dump.rows("ratings")}
        self.coauthors: dict[int, list[int]] = defaultdict(list)
        for row in dump.rows("coauthors"):
            self.coauthors[as_int(row.get("sid"))].append(as_int(row.get("uid")))
        self.story_rows = {as_int(r.get("sid")): r for r in dump.rows("stories")}
        self.series_rows = {as_int(r.get("seriesid")): r for r in dump.rows("series")}
        self.chapter_rows = {as_int(r.get("chapid")): r for r in dump.rows("chapters")}
        self.story_chapters: dict[int, list[Row]] = defaultdict(list)
        for row in dump.rows("chapters"):
            self.story_chapters[as_int(row.get("sid"))].append(row)
        for rows in self.story_chapters.values():
            rows.sort(key=lambda r: (as_int(r.get("inorder")), as_int(r.get("chapid"))))
        # The earliest review of each chapter: a chapter was posted before it.
        self.first_review: dict[int, dt.datetime] = {}
        for row in dump.rows("reviews"):
            when = self._date(row.get("date"))
            chapid = as_int(row.get("chapid"))
            if (
                when
                and chapid
                and (chapid not in self.first_review or when < self.first_review[chapid])
            ):
                self.first_review[chapid] = when
        self.profile_fields = {
            as_int(r.get("field_id")): clean_name(r.get("field_title") or r.get("field_name"))
            for r in dump.rows("authorfields")
        }
        self.profiles: dict[int, list[tuple[str, str]]] = defaultdict(list)
        for row in dump.rows("authorinfo"):
            title = self.profile_fields.get(as_int(row.get("field")), "")
            info = _text(row.get("info")).strip()
            if title and info:
                self.profiles[as_int(row.get("uid"))].append((title, info))

    # --- the run ------------------------------------------------------------------------

    def run(self) -> Report:
        for warning in self.dump.warnings:
            self.report.notes.append(f"dump {warning.severity}: {warning}")
        with postings_unannounced(), bumps_on_commit():
            if self.dry_run:
                try:
                    with transaction.atomic():
                        self._all()
                        raise Rollback
                except Rollback:
                    pass
            else:
                self._all()
        return self.report

    def _all(self) -> None:
        self.known = {
            kind: {
                old: (new, digest)
                for old, new, digest in LegacyId.objects.filter(
                    source=self.source, kind=kind
                ).values_list("old_id", "new_id", "digest")
            }
            for kind in ImportKind.values
        }
        self.staged: list[tuple[str, str, int, str]] = []
        # New comments and bookmarks per work, added to its counters per batch.
        self.counted: Counter[int] = Counter()
        self.bookmarked: Counter[int] = Counter()
        self.new_bookmarks: list[tuple[str, str, Bookmark]] = []
        stories = self.dump.rows("stories")
        reviews = self.dump.rows("reviews")
        favourites = self.dump.rows("favorites")
        total = len(stories) + len(reviews) + len(favourites)
        self.done = 0
        self._authors()
        self.prior_works, self.prior_chapters = self._imported_works()
        for batch in _batches(stories):
            with transaction.atomic():
                for row in batch:
                    self._story(row)
                    self._step(total)
                self._flush()
        with transaction.atomic():
            self._all_series()
            self._flush()
        by_item: dict[tuple[str, int], list[Row]] = defaultdict(list)
        for row in reviews:
            by_item[(as_text(row.get("type")).upper() or "ST", as_int(row.get("item")))].append(row)
        for groups in _batches(list(by_item.items())):
            with transaction.atomic():
                for (kind, item), rows in groups:
                    self._reviews(kind, item, rows)
                    for _ in rows:
                        self._step(total)
                self._flush()
                self._recount()
        for batch in _batches(favourites):
            with transaction.atomic():
                for row in batch:
                    self._favourite(row)
                    self._step(total)
                self._flush_bookmarks()
                self._flush()
                self._recount()
        self.progress(total, total)

    def _step(self, total: int) -> None:
        self.done += 1
        self.progress(self.done, total)

    # --- records ------------------------------------------------------------------------

    def _previous(self, kind: str, old_id: object) -> tuple[int, str] | None:
        return self.known[kind].get(str(old_id))

    def _record(self, kind: str, old_id: object, new_id: int, digest: str) -> None:
        """Remember what `old_id` became; written with the rest of its batch (`_flush`)."""
        self.staged.append((kind, str(old_id), new_id, digest))

    @contextmanager
    def _unit(self) -> Iterator[None]:
        """One story, series, story's reviews or favourite: all of it or none of it."""
        staged = len(self.staged)
        try:
            with transaction.atomic():
                yield
        except BaseException:
            del self.staged[staged:]
            raise

    def _flush(self) -> None:
        if not self.staged:
            return
        rows = {
            (kind, old): LegacyId(
                source=self.source, kind=kind, old_id=old, new_id=new, digest=digest
            )
            for kind, old, new, digest in self.staged
        }
        LegacyId.objects.bulk_create(
            list(rows.values()),
            update_conflicts=True,
            unique_fields=["source", "kind", "old_id"],
            update_fields=["new_id", "digest", "imported_at"],
        )
        for kind, old, new, digest in self.staged:
            self.known[kind][old] = (new, digest)
        self.staged.clear()

    def _recount(self) -> None:
        """Add this batch's new comments and bookmarks to their works' counters, as the
        community services do for one."""
        for counter, added in (
            ("comment_count", self.counted),
            ("bookmark_count", self.bookmarked),
        ):
            for work_id, delta in added.items():
                work_count_add(work_id=work_id, counter=counter, delta=delta)
            added.clear()

    def _date(self, value: object, row_name: str = "") -> dt.datetime | None:
        try:
            when = parse_date(value)
        except ValueError as error:
            if row_name:
                self.report.notes.append(f"{row_name}: {error}; no date kept")
            return None
        return min(when, self.now) if when else None

    # --- members ------------------------------------------------------------------------

    def _authors(self) -> None:
        rows = self.dump.rows("authors")
        ids = [new for new, _ in self.known[ImportKind.AUTHOR].values()]
        existing = {
            user.pk: user for user in User.objects.filter(pk__in=ids).prefetch_related("pseuds")
        }
        taken = {name for (name,) in User.objects.values_list(Lower("username"))}
        taken |= RESERVED_USERNAMES
        emails_seen: set[str] = set()
        for batch in _batches(rows):
            with transaction.atomic():
                for row in batch:
                    self._author(row, existing, taken, emails_seen)
                self._flush()

    def _author(
        self, row: Row, existing: dict[int, User], taken: set[str], emails_seen: set[str]
    ) -> None:
        uid = as_int(row.get("uid"))
        penname = clean_name(row.get("penname"))
        if uid <= 0 or not penname:
            self.report.add("member", "skipped", f"uid {uid}: no id or pen name")
            return
        email = as_text(row.get("email")).strip()
        try:
            validate_email(email)
        except ValidationError:
            email = ""
        if email.lower() in emails_seen:
            email = ""  # one address, one claim link: the first member with it gets it
        emails_seen.add(email.lower())
        description = self._description(uid, row)
        joined = self._date(row.get("date"), f"authors uid {uid}") or self.now
        digest = _digest(penname, email, description, joined)
        previous = self._previous(ImportKind.AUTHOR, uid)
        if previous:
            user = existing.get(previous[0])
            if user is None:
                self.report.add("member", "skipped", f"uid {uid} ({penname}): deleted in Duster")
                return
            self.users[uid], self.pseuds[uid] = user, user.default_pseud
            if previous[1] == digest:
                self.report.add("member", "unchanged")
                return
            if not user.has_usable_password():
                # Only accounts nobody has claimed yet follow the archive.
                self.pseuds[uid].description = description
                self.pseuds[uid].save(update_fields=["description"])
            self._record(ImportKind.AUTHOR, uid, user.pk, digest)
            self.report.add("member", "updated")
            return
        with self._unit():
            username = _username(penname, uid, lambda n: n.lower() in taken)
            user = User(
                username=username,
                email=email,
                is_active=True,
                date_joined=joined,
                password=make_password(None),
            )
            user.save()
            pseud = Pseud.objects.get(user=user, is_default=True)
            pseud.name = _pseud_name(penname, username)
            pseud.description = description
            pseud.save(update_fields=["name", "description"])
            self._record(ImportKind.AUTHOR, uid, user.pk, digest)
        taken.add(username.lower())
        self.users[uid], self.pseuds[uid] = user, pseud
        self.report.add("member", "imported")

    def _description(self, uid: int, row: Row) -> str:
        lines = []
        realname = clean_name(row.get("realname"))
        if realname:
            lines.append(f"Real name: {realname}")
        lines += [f"{title}: {info}" for title, info in self.profiles.get(uid, [])]
        bio = _text(row.get("bio")).strip()
        if bio:
            lines += ["", bio] if lines else [bio]
        return _fit("\n".join(lines), 500)

    def _pseud(self, uid: int) -> Pseud | None:
        return self.pseuds.get(uid)

    # --- stories ------------------------------------------------------------------------

    def _story_tags(self, row: Row) -> tuple[dict[str, list[str]], list[str], list[str]]:
        tags: dict[str, list[str]] = {
            "fandoms": [],
            "relationships": [],
            "characters": [],
            "freeforms": [],
        }
        warnings: list[str] = []
        categories: list[str] = []
        field_of = {
            "fandom": "fandoms",
            "relationship": "relationships",
            "character": "characters",
            "freeform": "freeforms",
        }
        for kind, ids in (
            ("category", id_list(row.get("catid"))),
            ("character", id_list(row.get("charid"))),
            ("class", id_list(row.get("classes"))),
        ):
            for item in ids:
                target = self.mapping.target(kind, item)
                if target is None or target.type == "skip":
                    continue
                if target.type == "warning":
                    warnings.append(target.value)
                elif target.type == "category":
                    categories.append(target.value)
                elif target.type in field_of:
                    names = tags[field_of[target.type]]
                    if target.value.casefold() not in {n.casefold() for n in names}:
                        names.append(target.value)
        # A site-wide character (catid -1 in eFiction) needs no fandom; a work needs one.
        if not tags["fandoms"]:
            tags["fandoms"] = ["Unsorted"]
        for name, names in tags.items():
            del names[tag_limit(name) :]
        return tags, warnings_settled(warnings), list(dict.fromkeys(categories))

    def _rating(self, row: Row) -> tuple[str, bool]:
        """Duster's rating, and whether only members may read it (ratingwarning bit 4)."""
        rids = id_list(row.get("rid"))
        rid = rids[0] if rids else 0
        target = self.mapping.target("rating", rid)
        bits = as_int(self.ratings.get(rid, {}).get("ratingwarning"))
        return (target.value if target else "not_rated"), bool(bits & 4)

    def _chapter_text(self, sid: int, row: Row) -> str:
        chapid = as_int(row.get("chapid"))
        stored = _text(row.get("storytext"))
        if self.files_dir is None:
            return stored
        uid = as_int(row.get("uid"))
        candidates = [self.files_dir / str(uid) / f"{chapid}.txt"]
        candidates += sorted(self.files_dir.glob(f"*/{chapid}.txt"))
        for path in candidates:
            if path.is_file():
                data = path.read_bytes()
                try:
                    text = data.decode(self.dump.encoding)
                except UnicodeDecodeError:
                    text = data.decode("cp1252", "replace")
                    self.report.notes.append(
                        f"chapter file {path.name} (story {sid}) is not {self.dump.encoding}: "
                        "read as Windows-1252"
                    )
                return repair_double_encoding(text).replace("\r\n", "\n").replace("\r", "\n")
        if stored.strip():
            return stored
        raise _Skip(
            f"its chapter {chapid} has no text in the dump and no file "
            f"{uid}/{chapid}.txt in the files directory (table chapters, chapid {chapid})"
        )

    def _chapter_dates(self, row: Row, chapters: list[Row]) -> list[dt.datetime | None]:
        """eFiction keeps no date per chapter: the first has the story's, the last its
        'updated', those between are spread evenly, none later than its first review."""
        sid = as_int(row.get("sid"))
        first = self._date(row.get("date"), f"stories sid {sid}")
        last = self._date(row.get("updated"), f"stories sid {sid}") or first
        if first is None:
            return [None] * len(chapters)
        last = max(last or first, first)
        n = len(chapters)
        dates: list[dt.datetime | None] = []
        for i, chapter in enumerate(chapters):
            when = first if n == 1 or i == 0 else first + (last - first) * i / (n - 1)
            reviewed = self.first_review.get(as_int(chapter.get("chapid")))
            if reviewed and reviewed < when:
                when = max(reviewed, first)
            previous = dates[-1] if dates else None
            if previous is not None and when < previous:
                when = previous
            dates.append(when.replace(microsecond=0))
        return dates

    def _imported_works(self) -> tuple[dict[int, Work], dict[int, set[int]]]:
        """The works an earlier run imported, and their chapters' ids, a few queries for all
        (running again on an unchanged archive asks nothing per story)."""
        ids = [new for new, _ in self.known[ImportKind.STORY].values()]
        works: dict[int, Work] = {}
        chapters: dict[int, set[int]] = defaultdict(set)
        for chunk in _batches(ids, 500):
            works.update(Work.objects.in_bulk(chunk))
            for work_id, pk in Chapter.objects.filter(work_id__in=chunk).values_list(
                "work_id", "pk"
            ):
                chapters[work_id].add(pk)
        return works, chapters

    def _story(self, row: Row) -> None:
        sid = as_int(row.get("sid"))
        title = clean_name(row.get("title")) or "Untitled"
        what = f"sid {sid} “{_fit(title, 60)}”"
        chapters = self.story_chapters.get(sid, [])
        try:
            with self._unit():
                outcome = self._story_write(sid, title, row, chapters)
        except (_Skip, ValidationError) as error:
            # Nothing of it was kept: neither may anything later point at it.
            self.works.pop(sid, None)
            for chapter in chapters:
                self.chapters.pop(as_int(chapter.get("chapid")), None)
            self.report.add("story", "skipped", f"{what}: {_why(error)}")
            return
        self.report.add("story", outcome)

    def _story_write(self, sid: int, title: str, row: Row, chapters: list[Row]) -> str:
        uid = as_int(row.get("uid"))
        author = self._pseud(uid)
        if author is None:
            raise _Skip(f"its author uid {uid} is not among the dump's members")
        if not chapters:
            raise _Skip("it has no chapters (table chapters has no row with this sid)")
        co_uids = [u for u in self.coauthors.get(sid, []) if u != uid]
        co_creators = [p for p in (self._pseud(u) for u in co_uids) if p is not None]
        tags, warnings, categories = self._story_tags(row)
        rating, restricted = self._rating(row)
        summary = _text(row.get("summary")).strip()
        notes = _text(row.get("storynotes")).strip()
        if len(summary) > SUMMARY_MAX:
            notes = f"<p><b>Summary:</b></p>{summary}\n{notes}".strip()
            summary = _fit(summary, SUMMARY_MAX)
        notes = _fit(notes, NOTES_MAX)
        posted = as_int(row.get("validated")) > 0
        complete = as_text(row.get("completed")).strip() not in ("", "0")
        posted_chapters = [c for c in chapters if as_int(c.get("validated")) > 0 or not posted]
        texts = [story_html(self._chapter_text(sid, c)) for c in chapters]
        dates = self._chapter_dates(row, chapters)
        fields = {
            "title": _fit(title, TITLE_MAX),
            "summary": summary,
            "notes": notes,
            "text_format": "html",
            "language": self.language,
            "rating": rating,
            "warnings": warnings,
            "categories": categories,
            "expected_chapters": len(posted_chapters) if complete and posted_chapters else None,
            "restricted": restricted,
        }
        hits = as_int(row.get("count"))
        digest = _digest(
            dict(row), [dict(c) for c in chapters], texts, co_uids, self.mapping_digest
        )
        previous = self._previous(ImportKind.STORY, sid)
        if previous:
            work = self.prior_works.get(previous[0])
            if work is None:
                raise _Skip("it was deleted in Duster after an earlier import")
            self.works[sid] = work
            if previous[1] == digest:
                # Its reviews may be new or changed: they find its chapters here.
                kept = self.prior_chapters.get(work.pk, set())
                for chapter in chapters:
                    chapid = as_int(chapter.get("chapid"))
                    before = self._previous(ImportKind.CHAPTER, chapid)
                    if before and before[0] in kept:
                        self.chapters[chapid] = before[0]
                return "unchanged"
            work = Work.objects.get(pk=work.pk)  # as it is now, to change it
            work_update(work=work, fields=fields, tags=tags)
        else:
            work = None
        chapter_fields = [
            {
                "title": _fit(clean_name(chapter.get("title")), TITLE_MAX),
                "notes": _fit(_text(chapter.get("notes")).strip(), NOTES_MAX),
                "end_notes": _fit(_text(chapter.get("endnotes")).strip(), NOTES_MAX),
                "body": text,
                "text_format": "html",
                "published_at": when,
            }
            for chapter, text, when in zip(chapters, texts, dates, strict=True)
        ]
        if work is None:
            work = self._new_work(
                author, co_creators, fields, tags, chapters, chapter_fields, posted=posted
            )
            waiting = [
                self.chapters[as_int(c.get("chapid"))]
                for c in chapters
                if as_int(c.get("validated")) <= 0
            ]
            if posted and waiting:
                # Chapters still in eFiction's queue stay drafts of the posted work.
                Chapter.objects.filter(pk__in=waiting).update(posted=False)
                work_refresh(work=work)
        else:
            self._update_chapters(work, chapters, chapter_fields)
            if posted and work.state == WorkState.DRAFT:
                work_post(work=work)  # validated since the last import
        if posted and hits != work.hits:
            Work.objects.filter(pk=work.pk).update(hits=hits)
        self.works[sid] = work
        self._record(ImportKind.STORY, sid, work.pk, digest)
        return "updated" if previous else "imported"

    def _new_work(
        self,
        author: Pseud,
        co_creators: list[Pseud],
        fields: dict,
        tags: dict[str, list[str]],
        chapters: list[Row],
        chapter_fields: list[dict],
        *,
        posted: bool,
    ) -> Work:
        """A new work with all its chapters in one service call (posted with them when the
        story was validated): one recount for the whole story, not one per chapter."""
        try:
            work = work_create(
                pseuds=[author],
                co_creators=co_creators,
                fields=fields,
                tags=tags,
                chapter=chapter_fields[0],
                more_chapters=chapter_fields[1:],
                post=posted,
            )
        except ValidationError as error:
            raise _Skip(_why(error)) from None
        made = list(work.chapters.order_by("position"))
        for row, chapter in zip(chapters, made, strict=True):
            self.chapters[as_int(row.get("chapid"))] = chapter.pk
            self._record(ImportKind.CHAPTER, as_int(row.get("chapid")), chapter.pk, "")
        if co_creators:
            self._accept_co_creators(work)
        return work

    def _update_chapters(self, work: Work, chapters: list[Row], chapter_fields: list[dict]) -> None:
        """A story imported before: its chapters changed in place, new ones added."""
        for row, values in zip(chapters, chapter_fields, strict=True):
            chapid = as_int(row.get("chapid"))
            validated = as_int(row.get("validated")) > 0
            before = self._previous(ImportKind.CHAPTER, chapid)
            existing = Chapter.objects.filter(pk=before[0], work=work).first() if before else None
            if existing is not None:
                values.pop("published_at")  # the date it was given when first imported stays
                if (
                    existing.title != values["title"]
                    or existing.notes_source != values["notes"]
                    or existing.end_notes_source != values["end_notes"]
                    or existing.body_source != values["body"]
                ):
                    existing = chapter_update(
                        chapter=existing, fields=values, version=existing.version
                    )
                if validated and not existing.posted and work.state == WorkState.POSTED:
                    chapter_post(chapter=existing)
            else:
                existing = chapter_create(
                    work=work,
                    fields=values,
                    post=validated,
                    published_at=values["published_at"],
                )
            self.chapters[chapid] = existing.pk
            self._record(ImportKind.CHAPTER, chapid, existing.pk, "")

    def _accept_co_creators(self, work: Work) -> None:
        """eFiction's co-authors are co-authors already: no invitation to wait on."""
        for credit in work.creatorships.filter(approved=False):
            creatorship_respond(creatorship=credit, accept=True)

    # --- series -------------------------------------------------------------------------

    def _all_series(self) -> None:
        rows = self.series_rows
        contents: dict[int, list[Row]] = defaultdict(list)
        for row in self.dump.rows("inseries"):
            contents[as_int(row.get("seriesid"))].append(row)
        for items in contents.values():
            items.sort(key=lambda r: (as_int(r.get("inorder")), as_int(r.get("sid"))))

        def reading_order(seriesid: int, seen: tuple[int, ...]) -> list[int]:
            """Story ids in order, a sub-series' stories in its place."""
            order: list[int] = []
            for item in contents.get(seriesid, []):
                if as_int(item.get("confirmed")) != 1:
                    continue
                sid, sub = as_int(item.get("sid")), as_int(item.get("subseriesid"))
                if sid > 0:
                    order.append(sid)
                elif sub > 0 and sub not in seen:
                    order += reading_order(sub, (*seen, sub))
            return list(dict.fromkeys(order))

        for seriesid, row in rows.items():
            title = clean_name(row.get("title")) or "Untitled series"
            what = f"{seriesid} “{_fit(title, 60)}”"
            try:
                with self._unit():
                    outcome = self._series_write(
                        seriesid, title, row, reading_order(seriesid, (seriesid,)), contents, rows
                    )
            except (_Skip, ValidationError) as error:
                self.series.pop(seriesid, None)
                self.report.add("series", "skipped", f"{what}: {_why(error)}")
                continue
            self.report.add("series", outcome)

    def _series_write(
        self,
        seriesid: int,
        title: str,
        row: Row,
        order: list[int],
        contents: dict[int, list[Row]],
        rows: dict[int, Row],
    ) -> str:
        owner = self._pseud(as_int(row.get("uid")))
        if owner is None:
            raise _Skip(f"its owner uid {as_int(row.get('uid'))} is not among the dump's members")
        summary = _fit(
            repair_double_encoding(strip_slashes(as_text(row.get("summary")))), SUMMARY_MAX
        )
        subseries = [
            as_int(item.get("subseriesid"))
            for item in contents.get(seriesid, [])
            if as_int(item.get("subseriesid")) > 0 and as_int(item.get("confirmed")) == 1
        ]
        notes = ""
        if subseries:
            names = ", ".join(
                f"“{clean_name(rows[s].get('title'))}”" for s in subseries if s in rows
            )
            notes = f"Includes the series {names}, in its own order." if names else ""
        fields = {
            "title": _fit(title, TITLE_MAX),
            "summary": summary,
            "notes": notes,
            "text_format": "html",
        }
        works = [self.works[sid] for sid in order if sid in self.works]
        if order and not works:
            raise _Skip("none of its stories was imported")
        digest = _digest(dict(row), order, [w.pk for w in works])
        previous = self._previous(ImportKind.SERIES, seriesid)
        if previous:
            series = Series.objects.filter(pk=previous[0]).first()
            if series is None:
                raise _Skip("it was deleted in Duster after an earlier import")
            self.series[seriesid] = series
            if previous[1] == digest:
                return "unchanged"
            series_update(series=series, fields=fields)
            SeriesEntry.objects.filter(series=series).delete()
            works_touch(work_ids=[w.pk for w in works])
        else:
            series = series_create(pseud=owner, fields=fields)
        for work in works:
            series_add_work(series=series, work=work)
        self.series[seriesid] = series
        self._record(ImportKind.SERIES, seriesid, series.pk, digest)
        return "updated" if previous else "imported"

    # --- reviews ------------------------------------------------------------------------

    def _reviews(self, kind: str, item: int, rows: list[Row]) -> None:
        """The reviews of one story (or series): new ones written together, a few queries
        for all of them; each sanitized on the way like any comment."""
        if kind == "SE":
            series = self.series.get(item)
            entry = series.entries.order_by("position").first() if series else None
            work = entry.work if entry else None
            where = f"on series {item}"
        else:
            work = self.works.get(item)
            series = None
            where = f"on story {item}"
        if work is None:
            for row in rows:
                self.report.add(
                    "review",
                    "skipped",
                    f"{as_int(row.get('reviewid'))}: {where}, which was not imported",
                )
            return
        seen = [self._previous(ImportKind.REVIEW, as_int(r.get("reviewid"))) for r in rows]
        # Reviews imported before: unchanged ones cost no query, one for all that are left.
        present: set[int] = set()
        if any(before is not None for before in seen):
            present = set(Comment.objects.filter(work=work).values_list("pk", flat=True))
        changed = []
        for row, before in zip(rows, seen, strict=True):
            if before is not None and before[0] not in present:
                self.report.add(
                    "review", "skipped", f"{as_int(row.get('reviewid'))}: deleted in Duster"
                )
            elif before is not None and before[1] == _digest(dict(row)):
                self.report.add("review", "unchanged")
            else:
                changed.append(row)
        if not changed:
            return
        creators = set(
            Creatorship.objects.filter(work=work, approved=True).values_list(
                "pseud__user_id", flat=True
            )
        )
        new: list[tuple[int, str, Comment, Comment | None]] = []
        for row in sorted(changed, key=lambda r: as_int(r.get("reviewid"))):
            reviewid = as_int(row.get("reviewid"))
            try:
                made = self._review(row, work, series, creators)
            except ValidationError as error:
                self.report.add("review", "skipped", f"{reviewid}: {_why(error)}")
                continue
            if made is not None:
                new.append(made)
        if new:
            with self._unit():
                tops = Comment.objects.bulk_create([review for _, _, review, _ in new])
                for top in tops:
                    top.thread_id = top.pk
                Comment.objects.bulk_update(tops, ["thread"])
                replies = []
                for reviewid, digest, review, reply in new:
                    self._record(ImportKind.REVIEW, reviewid, review.pk, digest)
                    if reply is not None:
                        reply.parent, reply.thread_id = review, review.pk
                        replies.append((reviewid, reply))
                Comment.objects.bulk_create([reply for _, reply in replies])
                for reviewid, reply in replies:
                    self._record(ImportKind.REPLY, reviewid, reply.pk, "")
            self.report.counts[("review", "imported")] += len(new)
            self.report.counts[("reply", "imported")] += len(replies)
            self.counted[work.pk] += len(new) + len(replies)

    def _review(
        self, row: Row, work: Work, series: Series | None, creators: set[int]
    ) -> tuple[int, str, Comment, Comment | None] | None:
        """A new review (and its reply) ready to write, or None when it was changed in place
        or needs nothing; ValidationError when its text cannot be a comment."""
        reviewid = as_int(row.get("reviewid"))
        digest = _digest(dict(row))
        previous = self._previous(ImportKind.REVIEW, reviewid)
        comment = Comment.objects.filter(pk=previous[0]).first() if previous else None
        text = _text(row.get("review")).strip()
        reply_text = ""
        if as_text(row.get("respond")).strip() == "1":
            match = _RESPONSE.search(text)
            if match:
                reply_text, text = match.group("reply").strip(), text[: match.start()].strip()
        if series is not None:
            text = f"<p><i>A review of the series “{series.title}”:</i></p>{text}"
        if not text:
            self.report.add("review", "skipped", f"{reviewid}: it has no text")
            return None
        chapid = as_int(row.get("chapid"))
        uid = as_int(row.get("uid"))
        reviewer = self.users.get(uid)
        rating = as_int(row.get("rating"), -1)
        when = self._date(row.get("date"), f"reviews reviewid {reviewid}")
        # A changed review keeps the state a moderator may have given it in Duster.
        comment = comment or Comment(
            work=work,
            created_at=when or work.published_at or self.now,
            state=CommentState.PUBLISHED,
        )
        comment.chapter_id = self.chapters.get(chapid) if series is None else None
        comment.user = reviewer
        comment.pseud = self.pseuds.get(uid) if reviewer else None
        comment.guest_name = (
            "" if reviewer else clean_name(row.get("reviewer"))[:100] or "Anonymous"
        )
        comment.by_creator = reviewer is not None and reviewer.pk in creators
        comment.rating = rating if 0 <= rating <= 10 else None
        comment.rich_text_set("body", text, "html")
        comment.rich_text_render()
        reply = (
            self._reply(reviewid, comment, reply_text, row, series, chapid) if reply_text else None
        )
        if comment.pk is None:
            return reviewid, digest, comment, reply
        with self._unit():
            comment.save()
            if reply is not None:
                reply.parent, reply.thread_id = comment, comment.thread_id
                reply.save()
                self._record(ImportKind.REPLY, reviewid, reply.pk, "")
            self._record(ImportKind.REVIEW, reviewid, comment.pk, digest)
        self.report.add("review", "updated")
        return None

    def _reply(
        self,
        reviewid: int,
        review: Comment,
        text: str,
        row: Row,
        series: Series | None,
        chapid: int,
    ) -> Comment | None:
        """The author's response, ready to write under `review`. eFiction does not store who
        responded: the member who posted the reviewed chapter (a co-author may have), else
        the story's (or series') author."""
        item = as_int(row.get("item"))
        if series is not None:
            uid = as_int(self.series_rows.get(item, {}).get("uid"))
        elif chapid in self.chapter_rows:
            uid = as_int(self.chapter_rows[chapid].get("uid"))
        else:
            uid = as_int(self.story_rows.get(item, {}).get("uid"))
        author = self.users.get(uid)
        before = self._previous(ImportKind.REPLY, reviewid)
        reply = Comment.objects.filter(pk=before[0]).first() if before else None
        if before and reply is None:
            return None  # deleted in Duster since
        reply = reply or Comment(
            work=review.work, created_at=review.created_at, state=CommentState.PUBLISHED
        )
        reply.chapter_id = review.chapter_id
        reply.user = author
        reply.pseud = self.pseuds.get(uid) if author else None
        reply.guest_name = "" if author else "The author"
        reply.by_creator = True
        reply.rich_text_set("body", text, "html")
        reply.rich_text_render()
        return reply

    # --- favourites ---------------------------------------------------------------------

    def _favourite(self, row: Row) -> None:
        uid, item = as_int(row.get("uid")), as_int(row.get("item"))
        kind = as_text(row.get("type")).strip().upper()
        key = f"{uid}:{kind}:{item}"
        user = self.users.get(uid)
        notes = _text(row.get("comments")).strip()
        record_kind = ImportKind.SUBSCRIPTION if kind == "AU" else ImportKind.BOOKMARK
        label = {"ST": "favourite story", "SE": "favourite series", "AU": "favourite author"}.get(
            kind, "favourite"
        )
        if user is None:
            self.report.add(label, "skipped", f"{key}: member uid {uid} was not imported")
            return
        digest = _digest(dict(row))
        previous = self._previous(record_kind, key)
        if previous and previous[1] == digest:
            self.report.add(label, "unchanged")
            return
        try:
            if kind == "AU":
                creator = self.users.get(item)
                if creator is None:
                    raise _Skip(f"author uid {item} was not imported")
                with self._unit():
                    made = subscription_add(user=user, creator=creator)
                    self._record(record_kind, key, made.pk, digest)
            elif kind in ("ST", "SE"):
                self._bookmark(key, digest, uid, kind, item, notes, previous)
            else:
                raise _Skip(f"type {kind!r} is not one eFiction uses for favourites")
        except (_Skip, ValidationError) as error:
            self.report.add(label, "skipped", f"{key}: {_why(error)}")
            return
        self.report.add(label, "updated" if previous else "imported")

    def _bookmark(
        self,
        key: str,
        digest: str,
        uid: int,
        kind: str,
        item: int,
        notes: str,
        previous: tuple[int, str] | None,
    ) -> None:
        """A public bookmark of a story or series, its note the favourite's comment; new ones
        are written with the rest of the batch (`_flush_bookmarks`)."""
        work = self.works.get(item) if kind == "ST" else None
        series = self.series.get(item) if kind == "SE" else None
        if work is None and series is None:
            raise _Skip(f"{'story' if kind == 'ST' else 'series'} {item} was not imported")
        if work is not None and work.state != WorkState.POSTED:
            raise _Skip(f"story {item} is not posted (it waits in eFiction's queue)")
        user = self.users[uid]
        if previous:
            bookmark = Bookmark.objects.filter(pk=previous[0]).first()
            if bookmark is None:
                raise _Skip("deleted in Duster after an earlier import")
        else:
            # One they made in Duster already takes the favourite's note.
            bookmark = Bookmark.objects.filter(user=user, work=work, series=series).first()
        if bookmark is None:
            bookmark = Bookmark(
                user=user,
                pseud=self.pseuds[uid],
                work=work,
                series=series,
                created_at=self.now,
                updated_at=self.now,
            )
        bookmark.rich_text_set("notes", notes, "text")
        full_clean_public(bookmark, exclude=["user", "pseud", "work", "series"])
        if bookmark.pk is None:
            self.new_bookmarks.append((key, digest, bookmark))
        else:
            with self._unit():
                bookmark.save()
                self._record(ImportKind.BOOKMARK, key, bookmark.pk, digest)

    def _flush_bookmarks(self) -> None:
        if not self.new_bookmarks:
            return
        with self._unit():
            made = Bookmark.objects.bulk_create([bookmark for _, _, bookmark in self.new_bookmarks])
            for (key, digest, _), bookmark in zip(self.new_bookmarks, made, strict=True):
                self._record(ImportKind.BOOKMARK, key, bookmark.pk, digest)
                if bookmark.work_id is not None:
                    self.bookmarked[bookmark.work_id] += 1
        self.new_bookmarks.clear()


class _Skip(Exception):
    """This row cannot be imported; the message says why."""


def _why(error: Exception) -> str:
    if not isinstance(error, ValidationError):
        return str(error)
    return f"not valid in Duster ({validation_text(error)})"
