"""The filter index: every posted work's filters held in this process's memory,
so a search narrows, counts, sorts and facets a million works in milliseconds
on SQLite as on PostgreSQL (plain SQL takes seconds for the facets alone:
../shared/DESIGN.md, "Search at a million works").

What it holds, all keyed by work id:
- a roaring bitmap (pyroaring) per filter tag, language and creator, and for
  restricted, anonymous, complete, one-shot and crossover works;
- a numpy array per sort key and counter (words, dates, hits, kudos, ...);
- each work's filter tags (compressed rows plus the works changed since), from
  which facets are counted with one `bincount`.

It is built from the archive's own tables (works, filter tags, credits) and
follows `SearchChange`: every write that changes what a search finds logs the
works it changed in the same transaction (duster.search.upkeep), and before a
search a process applies the log rows it has not seen. So every app process,
on one machine or many, answers from what the database holds right now.

A log id taken by a transaction that commits after a later one is not lost:
ids below the newest seen that have not appeared yet are asked for again until
they do (or for GAP_SECONDS, after which their transaction rolled back).
"""

import threading
import time
import unicodedata
from collections.abc import Iterable

import numpy as np
from django.db import connection
from pyroaring import BitMap

from duster.search.models import SearchChange
from duster.tags.models import TagType

# Past this many logged works a full rebuild is cheaper than applying them.
REBUILD_AFTER = 50_000
GAP_SECONDS = 120
SORT_KEY_CHARS = 40
_FETCH = 50_000

TAG_TYPES = list(TagType.values)
TYPE_CODES = {tag_type: code for code, tag_type in enumerate(TAG_TYPES)}
NUMBERS = ("words", "updated", "posted", "hits", "kudos", "comments", "bookmarks", "chapters")


def sort_key(text: str) -> str:
    """How titles and names sort: case and accents ignored, articles kept."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))[:SORT_KEY_CHARS]


def _epoch(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"COALESCE(CAST(EXTRACT(EPOCH FROM {column}) AS BIGINT), 0)"
    # %% for the parameter style: the query is always run with parameters.
    return f"COALESCE(CAST(strftime('%%s', {column}) AS INTEGER), 0)"


def _rows(sql: str, params: Iterable = ()):
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        while rows := cursor.fetchmany(_FETCH):
            yield from rows


def _id_list(ids: Iterable[int]) -> str:
    """Work ids inlined into SQL: they are ints, and there may be more than
    SQLite allows as parameters."""
    return ",".join(str(int(i)) for i in ids) or "NULL"


class FilterIndex:
    def __init__(self) -> None:
        self.seen = 0
        self.gaps: dict[int, float] = {}
        self.posted = BitMap()
        self.flags: dict[str, BitMap] = {
            name: BitMap()
            for name in ("restricted", "anonymous", "complete", "oneshot", "crossover")
        }
        self.languages: dict[str, BitMap] = {}
        self.by_tag: dict[int, BitMap] = {}
        self.by_user: dict[int, BitMap] = {}  # credits on works that are not anonymous
        self.anonymous_by_user: dict[int, BitMap] = {}
        self.numbers: dict[str, np.ndarray] = {}
        self.title_keys = np.array([], dtype=f"U{SORT_KEY_CHARS}")
        self.creator_keys = np.array([], dtype=f"U{SORT_KEY_CHARS}")
        self.language_of: dict[int, str] = {}
        self.users_of: dict[int, tuple[int, ...]] = {}
        # Filter tags per work: rows compressed at build (offsets into
        # tag_ids), and the rows of works changed since in `changed`.
        self.offsets = np.zeros(1, dtype=np.int64)
        self.tag_ids = np.array([], dtype=np.int64)
        self.changed: dict[int, np.ndarray] = {}
        self.tag_types = np.full(1, -1, dtype=np.int8)
        self.fandom_metas: dict[int, set[int]] = {}
        self.lock = threading.Lock()

    # Building and following the log

    @classmethod
    def build(cls) -> "FilterIndex":
        index = cls()
        index.seen = SearchChange.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        index._load_fandom_metas()
        top = (_scalar("SELECT MAX(id) FROM works_work WHERE state = 'posted'") or 0) + 1
        index._grow(top)
        work_ids = index._load_works("state = 'posted'")
        work_col, tag_col, type_col = index._load_tag_rows("1 = 1", work_ids)
        index._build_tag_rows(work_col, tag_col, type_col, top)
        index._load_credits(work_ids)
        return index

    def catch_up(self) -> "FilterIndex | None":
        """Apply the log rows not seen yet; a new index when rebuilding is
        cheaper (or the log says so), else None."""
        now = time.monotonic()
        self.gaps = {pk: t for pk, t in self.gaps.items() if now - t < GAP_SECONDS}
        changes = SearchChange.objects.filter(pk__gt=self.seen)
        if self.gaps:
            changes = SearchChange.objects.filter(pk__gt=self.seen) | SearchChange.objects.filter(
                pk__in=list(self.gaps)
            )
        rows = list(changes.values_list("pk", "work_id")[: REBUILD_AFTER + 1])
        if not rows:
            return None
        if len(rows) > REBUILD_AFTER or any(work_id is None for _, work_id in rows):
            return FilterIndex.build()
        newest = max(pk for pk, _ in rows)
        found = {pk for pk, _ in rows}
        for pk in range(self.seen + 1, newest):
            if pk not in found:
                self.gaps.setdefault(pk, now)
        for pk in found:
            self.gaps.pop(pk, None)
        self.seen = max(self.seen, newest)
        self.refresh({work_id for _, work_id in rows})
        return None

    def refresh(self, work_ids: set[int]) -> None:
        """Reload these works from the database (dropping those no longer posted)."""
        if not work_ids:
            return
        self._load_fandom_metas()
        for work_id in work_ids:
            self._forget(work_id)
        found = self._load_works(f"state = 'posted' AND id IN ({_id_list(work_ids)})")
        if found.size:
            self._grow(int(found.max()) + 1)
        work_col, tag_col, type_col = self._load_tag_rows(
            f"work_id IN ({_id_list(found.tolist())})", found
        )
        for work_id in found.tolist():
            mask = work_col == work_id
            self._add_tags(work_id, tag_col[mask], type_col[mask])
        self._load_credits(found)

    # Loading

    def _grow(self, size: int) -> None:
        current = len(self.offsets) - 1 if self.numbers else 0
        if self.numbers and size <= len(self.numbers["words"]):
            return
        capacity = max(size, int(current * 1.25) + 1024)
        for name in NUMBERS:
            old = self.numbers.get(name, np.zeros(0, dtype=np.int64))
            new = np.zeros(capacity, dtype=np.int64)
            new[: len(old)] = old
            self.numbers[name] = new
        for attr in ("title_keys", "creator_keys"):
            old = getattr(self, attr)
            new = np.full(capacity, "", dtype=f"U{SORT_KEY_CHARS}")
            new[: len(old)] = old
            setattr(self, attr, new)

    def _load_works(self, where: str) -> np.ndarray:
        # `where` is this module's own, with ids inlined by _id_list (ints).
        sql = (
            "SELECT id, restricted, anonymous, complete, chapter_count, expected_chapters, "  # noqa: S608
            f"language, word_count, {_epoch('updated_at')}, {_epoch('published_at')}, hits, "
            "kudos_count, comment_count, bookmark_count, title "
            f"FROM works_work WHERE {where} ORDER BY id"
        )
        ids = []
        columns: dict[str, list[int]] = {name: [] for name in NUMBERS}
        titles = []
        for row in _rows(sql):
            (work_id, restricted, anonymous, complete, chapters, expected, language) = row[:7]
            ids.append(work_id)
            self.posted.add(work_id)
            if restricted:
                self.flags["restricted"].add(work_id)
            if anonymous:
                self.flags["anonymous"].add(work_id)
            if complete:
                self.flags["complete"].add(work_id)
            if chapters == 1 and expected == 1:
                self.flags["oneshot"].add(work_id)
            self.languages.setdefault(language, BitMap()).add(work_id)
            self.language_of[work_id] = language
            columns["words"].append(row[7])
            columns["updated"].append(row[8])
            columns["posted"].append(row[9])
            columns["hits"].append(row[10])
            columns["kudos"].append(row[11])
            columns["comments"].append(row[12])
            columns["bookmarks"].append(row[13])
            columns["chapters"].append(chapters)
            titles.append(sort_key(row[14]))
        found = np.array(ids, dtype=np.int64)
        if found.size:
            self._grow(int(found.max()) + 1)
            for name in NUMBERS:
                self.numbers[name][found] = columns[name]
            self.title_keys[found] = titles
        return found

    def _load_tag_rows(self, where: str, work_ids: np.ndarray):
        """(work, tag, type code) columns of these works' filter tags, by work."""
        works: list[int] = []
        tags: list[int] = []
        types: list[int] = []
        posted = self.posted
        sql = (  # as in _load_works
            "SELECT work_id, tag_id, tag_type FROM tags_filtertagging "  # noqa: S608
            f"WHERE {where} ORDER BY work_id, tag_id"
        )
        codes = TYPE_CODES
        for work_id, tag_id, tag_type in _rows(sql):
            if work_id in posted:
                works.append(work_id)
                tags.append(tag_id)
                types.append(codes.get(tag_type, -1))
        work_col = np.array(works, dtype=np.int64)
        tag_col = np.array(tags, dtype=np.int64)
        type_col = np.array(types, dtype=np.int8)
        if tag_col.size:
            self._grow_tag_types(int(tag_col.max()) + 1)
            self.tag_types[tag_col] = type_col
        self._mark_crossovers(work_col, tag_col, type_col)
        return work_col, tag_col, type_col

    def _build_tag_rows(self, work_col, tag_col, type_col, top: int) -> None:
        counts = np.bincount(work_col, minlength=top) if work_col.size else np.zeros(top, np.int64)
        self.offsets = np.zeros(top + 1, dtype=np.int64)
        np.cumsum(counts, out=self.offsets[1:])
        self.tag_ids = tag_col
        if not tag_col.size:
            return
        order = np.argsort(tag_col, kind="stable")
        by_tag = tag_col[order]
        works = work_col[order]
        starts = np.flatnonzero(np.r_[True, by_tag[1:] != by_tag[:-1]])
        ends = np.r_[starts[1:], by_tag.size]
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            self.by_tag[int(by_tag[start])] = BitMap(works[start:end])

    def _grow_tag_types(self, size: int) -> None:
        if size > len(self.tag_types):
            grown = np.full(max(size, len(self.tag_types) * 2), -1, dtype=np.int8)
            grown[: len(self.tag_types)] = self.tag_types
            self.tag_types = grown

    def _load_fandom_metas(self) -> None:
        metas: dict[int, set[int]] = {}
        sql = (
            "SELECT m.sub_id, m.meta_id FROM tags_metatagging m "
            "JOIN tags_tag t ON t.id = m.sub_id WHERE t.type = %s"
        )
        for sub, meta in _rows(sql, [TagType.FANDOM.value]):
            metas.setdefault(sub, set()).add(meta)
        self.fandom_metas = metas

    def _mark_crossovers(self, work_col, tag_col, type_col) -> None:
        """A crossover has fandoms from more than one family: more than one
        of its fandom filter tags that is no meta tag of another of them."""
        fandom = type_col == TYPE_CODES[TagType.FANDOM]
        works = work_col[fandom]
        tags = tag_col[fandom]
        if not works.size:
            return
        many = np.flatnonzero(np.bincount(works) > 1)
        if not many.size:
            return
        keep = np.isin(works, many)
        by_work: dict[int, set[int]] = {}
        for work_id, tag_id in zip(works[keep].tolist(), tags[keep].tolist(), strict=True):
            by_work.setdefault(work_id, set()).add(tag_id)
        for work_id, fandoms in by_work.items():
            # The most specific fandoms (under none of the others): a
            # crossover when their families have no fandom in common.
            above = set().union(*(self.fandom_metas.get(t, set()) for t in fandoms))
            specific = fandoms - above
            families = [frozenset(self._family(t)) for t in specific]
            if len(families) > 1 and not frozenset.intersection(*families):
                self.flags["crossover"].add(work_id)

    def _family(self, tag_id: int) -> set[int]:
        family = {tag_id}
        todo = [tag_id]
        while todo:
            for meta in self.fandom_metas.get(todo.pop(), ()):
                if meta not in family:
                    family.add(meta)
                    todo.append(meta)
        return family

    def _load_credits(self, work_ids: np.ndarray) -> None:
        if not work_ids.size:
            return
        where = "c.approved" if len(work_ids) > 1000 else f"c.work_id IN ({_id_list(work_ids)})"
        sql = (  # ints only
            "SELECT c.work_id, p.user_id, p.name FROM works_creatorship c "  # noqa: S608
            "JOIN accounts_pseud p ON p.id = c.pseud_id "
            f"WHERE {where} AND c.approved AND c.work_id IS NOT NULL "
            "ORDER BY c.work_id, c.position, c.id"
        )
        wanted = BitMap(work_ids)
        anonymous = self.flags["anonymous"]
        users: dict[int, list[int]] = {}
        first_names: dict[int, str] = {}
        for work_id, user_id, name in _rows(sql):
            if work_id not in wanted:
                continue
            users.setdefault(work_id, []).append(user_id)
            first_names.setdefault(work_id, name)
            shelf = self.anonymous_by_user if work_id in anonymous else self.by_user
            shelf.setdefault(user_id, BitMap()).add(work_id)
        for work_id, user_ids in users.items():
            self.users_of[work_id] = tuple(user_ids)
        keys = {
            work_id: ("anonymous" if work_id in anonymous else sort_key(first_names[work_id]))
            for work_id in first_names
        }
        if keys:
            ids = np.fromiter(keys.keys(), dtype=np.int64, count=len(keys))
            self.creator_keys[ids] = list(keys.values())

    # Changing one work

    def _forget(self, work_id: int) -> None:
        if work_id not in self.posted:
            return
        self.posted.discard(work_id)
        for bitmap in self.flags.values():
            bitmap.discard(work_id)
        language = self.language_of.pop(work_id, None)
        if language is not None:
            self.languages[language].discard(work_id)
        for tag_id in self.tags_of(work_id).tolist():
            bitmap = self.by_tag.get(tag_id)
            if bitmap is not None:
                bitmap.discard(work_id)
        self.changed[work_id] = np.array([], dtype=np.int64)
        for user_id in self.users_of.pop(work_id, ()):
            for shelf in (self.by_user, self.anonymous_by_user):
                if user_id in shelf:
                    shelf[user_id].discard(work_id)

    def _add_tags(self, work_id: int, tags: np.ndarray, types: np.ndarray) -> None:
        self.changed[work_id] = tags.copy()
        for tag_id in tags.tolist():
            self.by_tag.setdefault(tag_id, BitMap()).add(work_id)

    def tags_of(self, work_id: int) -> np.ndarray:
        if work_id in self.changed:
            return self.changed[work_id]
        if work_id + 1 >= len(self.offsets):
            return np.array([], dtype=np.int64)
        return self.tag_ids[self.offsets[work_id] : self.offsets[work_id + 1]]

    # Reading

    def tag_counts(self, works: BitMap) -> np.ndarray:
        """How many of `works` have each filter tag, indexed by tag id."""
        ids = np.array(works, dtype=np.int64)
        size = len(self.tag_types)
        if not ids.size:
            return np.zeros(size, dtype=np.int64)
        base = ids[ids + 1 < len(self.offsets)]
        if self.changed:
            changed = np.fromiter(self.changed.keys(), dtype=np.int64, count=len(self.changed))
            base = base[~np.isin(base, changed)]
        starts = self.offsets[base]
        lengths = self.offsets[base + 1] - starts
        total = int(lengths.sum())
        if total:
            # The rows of every work in one gather: each row's start, then +1s.
            steps = np.ones(total, dtype=np.int64)
            heads = np.cumsum(lengths)[:-1]
            steps[0] = starts[0]
            steps[heads] = starts[1:] - (starts[:-1] + lengths[:-1]) + 1
            gathered = self.tag_ids[np.cumsum(steps)]
        else:
            gathered = np.array([], dtype=np.int64)
        extra = [self.changed[w] for w in ids.tolist() if w in self.changed] if self.changed else []
        if extra:
            gathered = np.concatenate([gathered, *extra])
        return np.bincount(gathered, minlength=size)[:size]


def _scalar(sql: str):
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    return row[0] if row else None


_index: FilterIndex | None = None
_lock = threading.Lock()


def filter_index() -> FilterIndex:
    """This process's index, caught up with the log."""
    global _index
    with _lock:
        if _index is None:
            _index = FilterIndex.build()
        else:
            rebuilt = _index.catch_up()
            if rebuilt is not None:
                _index = rebuilt
        return _index


def filter_index_reset() -> None:
    """Forget this process's index (tests, after a database is replaced)."""
    global _index
    with _lock:
        _index = None
