"""The filter index: every posted work's filters held in this process's memory,
so a search narrows, counts, sorts and facets a million works in milliseconds
on SQLite as on PostgreSQL (plain SQL takes seconds for the facets alone:
../shared/DESIGN.md, "Search at a million works").

What it holds, all keyed by work id:
- a roaring bitmap (pyroaring) per filter tag, language and creator, and for
  restricted, anonymous, complete, one-shot and crossover works;
- a numpy array per sort key and counter (words, dates, hits, kudos, ...);
- each work's filter tags, one row of `tag_ids` per work (a changed work's
  new row is appended; the old one is left unused), from which facets are
  counted with one `bincount`.

It is built from the archive's own tables (works, filter tags, credits) and
follows `SearchChange`: every write that changes what a search finds logs the
works it changed in the same transaction (duster.search.upkeep), and before a
search a process applies the log rows it has not seen. So every app process,
on one machine or many, answers from what the database holds right now.

A log id taken by a transaction that commits after a later one is not lost:
ids below the newest seen that have not appeared yet are asked for again until
they do (or for GAP_SECONDS, after which their transaction rolled back).
"""

import array
import hashlib
import os
import pickle
import tempfile
import threading
import time
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import connection
from pyroaring import BitMap

from duster.search.models import SearchChange
from duster.tags.models import TagType

# Past this many logged works a full rebuild is cheaper than applying them.
REBUILD_AFTER = 50_000
GAP_SECONDS = 120
# The log keeps a day (duster.search.upkeep prunes it); a process that has
# not searched for this long may have missed rows, and starts over.
IDLE_SECONDS = 6 * 60 * 60
# Titles and names sort on their first bytes (UTF-8 of the folded text).
SORT_KEY_BYTES = 24
_FETCH = 50_000

TAG_TYPES = list(TagType.values)
TYPE_CODES = {tag_type: code for code, tag_type in enumerate(TAG_TYPES)}
NUMBERS = ("words", "updated", "posted", "hits", "kudos", "comments", "bookmarks", "chapters")


def sort_key(text: str) -> bytes:
    """How titles and names sort: case and accents ignored, articles kept."""
    if text.isascii():
        return text.casefold().encode()[:SORT_KEY_BYTES]
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    return folded.encode()[:SORT_KEY_BYTES]


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


def _int_table(sql: str, width: int) -> np.ndarray:
    """The rows of a query of integer columns, as one array."""
    chunks = [np.zeros((0, width), dtype=np.int64)]
    with connection.cursor() as cursor:
        cursor.execute(sql, [])
        while rows := cursor.fetchmany(_FETCH):
            chunks.append(np.array(rows, dtype=np.int64))
    return np.concatenate(chunks)


def as_bitmap(ids: np.ndarray) -> BitMap:
    """A bitmap of these ids, built from a buffer (not one id at a time)."""
    values = array.array("I")
    values.frombytes(np.asarray(ids, dtype=np.uint32).tobytes())
    return BitMap(values)


def as_ids(works: BitMap) -> np.ndarray:
    """The ids of a bitmap, ascending, as an array."""
    return np.frombuffer(works.to_array(), dtype=np.uint32).astype(np.int64)


def _id_list(ids: Iterable[int]) -> str:
    """Work ids inlined into SQL: they are ints, and there may be more than
    SQLite allows as parameters."""
    return ",".join(str(int(i)) for i in ids) or "NULL"


class FilterIndex:
    def __init__(self) -> None:
        self.seen = 0
        self.caught_up_at = time.monotonic()
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
        self.title_keys = np.array([], dtype=f"S{SORT_KEY_BYTES}")
        self.creator_keys = np.array([], dtype=f"S{SORT_KEY_BYTES}")
        # Who is credited with each work (to forget it when that changes):
        # the first credit by work id, and any others.
        self.first_user = np.zeros(0, dtype=np.int64)
        self.more_users: dict[int, tuple[int, ...]] = {}
        # Filter tags per work: its row is tag_ids[starts[w] : starts[w] + lengths[w]];
        # tag_ids[:used] holds rows.
        self.starts = np.zeros(0, dtype=np.int64)
        self.lengths = np.zeros(0, dtype=np.int64)
        self.tag_ids = np.zeros(0, dtype=np.int64)
        self.used = 0
        self.tag_types = np.full(1, -1, dtype=np.int8)
        self.fandom_metas: dict[int, set[int]] = {}
        self.lock = threading.Lock()

    # Building and following the log

    @classmethod
    def build(cls) -> "FilterIndex":
        """This process's index: from its copy on disk caught up with the
        log when there is a usable one, else read from the archive's tables
        (and a copy kept for the next process)."""
        index = snapshot_load()
        if index is not None and index.catch_up() is None:
            return index
        index = cls.read()
        snapshot_save(index)
        return index

    @classmethod
    def read(cls) -> "FilterIndex":
        """The index read from the archive's tables."""
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
        if now - self.caught_up_at > IDLE_SECONDS:
            return FilterIndex.read()
        self.caught_up_at = now
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
            return FilterIndex.read()
        if self.used > 2 * int(self.lengths.sum()) + 1_000_000:
            return FilterIndex.read()  # mostly rows of works changed since
        newest = max(pk for pk, _ in rows)
        found = {pk for pk, _ in rows}
        for pk in range(self.seen + 1, newest):
            if pk not in found:
                self.gaps.setdefault(pk, now)
        for pk in found:
            self.gaps.pop(pk, None)
        self.seen = max(self.seen, newest)
        self.refresh({work_id for _, work_id in rows if work_id is not None})
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
        current = len(self.starts)
        if size <= current:
            return
        capacity = max(size, int(current * 1.25) + 1024)
        for attr in ("starts", "lengths", "first_user"):
            old = getattr(self, attr)
            new = np.zeros(capacity, dtype=np.int64)
            new[: len(old)] = old
            setattr(self, attr, new)
        for name in NUMBERS:
            old = self.numbers.get(name, np.zeros(0, dtype=np.int64))
            new = np.zeros(capacity, dtype=np.int64)
            new[: len(old)] = old
            self.numbers[name] = new
        for attr in ("title_keys", "creator_keys"):
            old = getattr(self, attr)
            new = np.full(capacity, b"", dtype=f"S{SORT_KEY_BYTES}")
            new[: len(old)] = old
            setattr(self, attr, new)

    def _load_works(self, where: str) -> np.ndarray:
        """Load the works `where` picks (this module's own condition, ids
        inlined as ints): numbers as arrays at once, then names."""
        sql = (
            "SELECT id, restricted, anonymous, complete, "  # noqa: S608
            "CASE WHEN chapter_count = 1 AND expected_chapters = 1 THEN 1 ELSE 0 END, "
            f"word_count, {_epoch('updated_at')}, {_epoch('published_at')}, hits, "
            "kudos_count, comment_count, bookmark_count, chapter_count "
            f"FROM works_work WHERE {where} ORDER BY id"
        )
        table = _int_table(sql, 13)
        found = np.ascontiguousarray(table[:, 0])
        if not found.size:
            return found
        self._grow(int(found.max()) + 1)
        self.posted |= as_bitmap(found)
        for column, flag in enumerate(("restricted", "anonymous", "complete", "oneshot"), 1):
            self.flags[flag] |= as_bitmap(found[table[:, column] != 0])
        for column, name in enumerate(NUMBERS, 5):
            self.numbers[name][found] = table[:, column]
        by_language: dict[str, list[int]] = {}
        titles = []
        names = f"SELECT id, language, title FROM works_work WHERE {where} ORDER BY id"  # noqa: S608
        for work_id, language, title in _rows(names):
            by_language.setdefault(language, []).append(work_id)
            titles.append(sort_key(title))
        for language, work_ids in by_language.items():
            self.languages.setdefault(language, BitMap()).update(as_bitmap(np.array(work_ids)))
        self.title_keys[found] = titles
        return found

    def _load_tag_rows(self, where: str, work_ids: np.ndarray):
        """(work, tag, type code) columns of these works' filter tags, by work:
        numbers only, so each batch of rows becomes an array at once."""
        codes = " ".join(f"WHEN '{t}' THEN {code}" for t, code in TYPE_CODES.items())
        sql = (  # as in _load_works
            f"SELECT work_id, tag_id, CASE tag_type {codes} ELSE -1 END "  # noqa: S608
            f"FROM tags_filtertagging WHERE {where} ORDER BY work_id, tag_id"
        )
        table = _int_table(sql, 3)
        wanted = np.zeros(int(work_ids.max()) + 1 if work_ids.size else 1, dtype=bool)
        wanted[work_ids] = True
        table = table[table[:, 0] < wanted.size]
        table = table[wanted[table[:, 0]]]
        work_col = np.ascontiguousarray(table[:, 0])
        tag_col = np.ascontiguousarray(table[:, 1])
        type_col = table[:, 2].astype(np.int8)
        if tag_col.size:
            self._grow_tag_types(int(tag_col.max()) + 1)
            self.tag_types[tag_col] = type_col
        self._mark_crossovers(work_col, tag_col, type_col)
        return work_col, tag_col, type_col

    def _build_tag_rows(self, work_col, tag_col, type_col, top: int) -> None:
        counts = np.bincount(work_col, minlength=top) if work_col.size else np.zeros(top, np.int64)
        self.lengths[:top] = counts
        self.starts[:top] = np.cumsum(counts) - counts
        self.tag_ids = tag_col
        self.used = tag_col.size
        if not tag_col.size:
            return
        order = np.argsort(tag_col, kind="stable")
        by_tag = tag_col[order]
        works = work_col[order]
        starts = np.flatnonzero(np.r_[True, by_tag[1:] != by_tag[:-1]])
        ends = np.r_[starts[1:], by_tag.size]
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            self.by_tag[int(by_tag[start])] = as_bitmap(works[start:end])

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
        """A crossover's fandoms come from more than one family: their most
        specific fandoms (under none of the others) share no fandom above.

        A work's fandom filter tags hold every fandom above its own, so where
        each fandom has one fandom at the top (as most do), that is: more than
        one top fandom among them. Works with a fandom under two tops are
        checked one by one."""
        fandom = type_col == TYPE_CODES[TagType.FANDOM]
        works, tags = work_col[fandom], tag_col[fandom]
        if not works.size:
            return
        many = np.bincount(works) > 1
        keep = many[works]
        works, tags = works[keep], tags[keep]
        if not works.size:
            return
        under = np.fromiter(self.fandom_metas.keys(), dtype=np.int64, count=len(self.fandom_metas))
        tops = ~np.isin(tags, under)
        top_counts = np.bincount(works[tops], minlength=int(works.max()) + 1)
        crossovers = set(np.flatnonzero(top_counts > 1).tolist())
        tangled = {t for t in self.fandom_metas if len(self._tops(t)) > 1}
        if tangled:
            for work_id in set(works[np.isin(tags, list(tangled))].tolist()):
                fandoms = set(tags[works == work_id].tolist())
                above = set().union(*(self.fandom_metas.get(t, set()) for t in fandoms))
                families = [frozenset(self._family(t)) for t in fandoms - above]
                crossover = len(families) > 1 and not frozenset.intersection(*families)
                (crossovers.add if crossover else crossovers.discard)(work_id)
        if crossovers:
            self.flags["crossover"] |= as_bitmap(np.fromiter(crossovers, dtype=np.int64))

    def _tops(self, tag_id: int) -> set[int]:
        return {t for t in self._family(tag_id) if t not in self.fandom_metas}

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
        where = "1 = 1" if len(work_ids) > 1000 else f"c.work_id IN ({_id_list(work_ids)})"
        sql = (  # ints only
            "SELECT c.work_id, p.user_id, p.name FROM works_creatorship c "  # noqa: S608
            "JOIN accounts_pseud p ON p.id = c.pseud_id "
            f"WHERE {where} AND c.approved AND c.work_id IS NOT NULL "
            "ORDER BY c.work_id, c.position, c.id"
        )
        wanted = self.posted
        anonymous = self.flags["anonymous"]
        works: list[int] = []
        users: list[int] = []
        keys: dict[int, bytes] = {}
        for work_id, user_id, name in _rows(sql):
            if work_id in wanted:
                works.append(work_id)
                users.append(user_id)
                if work_id not in keys:
                    keys[work_id] = sort_key(name)
        work_col = np.array(works, dtype=np.int64)
        user_col = np.array(users, dtype=np.int64)
        named = ~np.isin(work_col, as_ids(anonymous)) if anonymous else np.ones(work_col.size, bool)
        for shelf, rows in ((self.by_user, named), (self.anonymous_by_user, ~named)):
            order = np.argsort(user_col[rows], kind="stable")
            by_user, by_work = user_col[rows][order], work_col[rows][order]
            if not by_user.size:
                continue
            starts = np.flatnonzero(np.r_[True, by_user[1:] != by_user[:-1]])
            ends = np.r_[starts[1:], by_user.size]
            for begin, end in zip(starts.tolist(), ends.tolist(), strict=True):
                shelf.setdefault(int(by_user[begin]), BitMap()).update(
                    as_bitmap(by_work[begin:end])
                )
        if work_col.size:
            # Rows come by work: a work's first row is its first credit.
            first = np.r_[True, work_col[1:] != work_col[:-1]]
            self.first_user[work_col[first]] = user_col[first]
            others = zip(work_col[~first].tolist(), user_col[~first].tolist(), strict=True)
            for work_id, user_id in others:
                self.more_users[work_id] = (*self.more_users.get(work_id, ()), user_id)
        for work_id in keys:
            if work_id in anonymous:
                keys[work_id] = b"anonymous"
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
        for bitmap in self.languages.values():
            bitmap.discard(work_id)
        for tag_id in self.tags_of(work_id).tolist():
            if tag_id in self.by_tag:
                self.by_tag[tag_id].discard(work_id)
        self.lengths[work_id] = 0
        credited = (int(self.first_user[work_id]), *self.more_users.pop(work_id, ()))
        self.first_user[work_id] = 0
        for user_id in credited:
            for shelf in (self.by_user, self.anonymous_by_user):
                if user_id in shelf:
                    shelf[user_id].discard(work_id)

    def _add_tags(self, work_id: int, tags: np.ndarray, types: np.ndarray) -> None:
        end = self.used + tags.size
        if end > self.tag_ids.size:
            grown = np.zeros(max(end, int(self.tag_ids.size * 1.25) + 1024), dtype=np.int64)
            grown[: self.used] = self.tag_ids[: self.used]
            self.tag_ids = grown
        self.tag_ids[self.used : end] = tags
        self.starts[work_id] = self.used
        self.lengths[work_id] = tags.size
        self.used = end
        for tag_id in tags.tolist():
            self.by_tag.setdefault(tag_id, BitMap()).add(work_id)

    def tags_of(self, work_id: int) -> np.ndarray:
        if work_id >= len(self.starts):
            return np.array([], dtype=np.int64)
        start = self.starts[work_id]
        return self.tag_ids[start : start + self.lengths[work_id]]

    # Reading

    def tag_counts(self, ids: np.ndarray) -> np.ndarray:
        """How many of the works `ids` have each filter tag, by tag id."""
        size = len(self.tag_types)
        if not ids.size:
            return np.zeros(size, dtype=np.int64)
        ids = ids[ids < len(self.starts)]
        lengths = self.lengths[ids]
        keep = lengths > 0
        starts, lengths = self.starts[ids[keep]], lengths[keep]
        total = int(lengths.sum())
        if not total:
            return np.zeros(size, dtype=np.int64)
        # Every row in one gather: each row's start, then steps of one.
        steps = np.ones(total, dtype=np.int64)
        heads = np.cumsum(lengths)[:-1]
        steps[0] = starts[0]
        steps[heads] = starts[1:] - (starts[:-1] + lengths[:-1]) + 1
        gathered = self.tag_ids[np.cumsum(steps)]
        return np.bincount(gathered, minlength=size)[:size]


def _scalar(sql: str):
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    return row[0] if row else None


# The copy on disk


# Part of the copy's file name, and kept inside it: a copy an older Duster
# wrote (other arrays, other fields) is never read.
SNAPSHOT_FORMAT = 2


def _snapshot_path() -> Path | None:
    """One file per database (and format), in SEARCH_INDEX_DIR."""
    if not settings.SEARCH_INDEX_DIR:
        return None
    db = connection.settings_dict
    identity = f"{SNAPSHOT_FORMAT}|{connection.vendor}|{db['HOST']}|{db['PORT']}|{db['NAME']}"
    digest = hashlib.blake2b(identity.encode(), digest_size=8).hexdigest()
    return Path(settings.SEARCH_INDEX_DIR) / f"filter-index-{digest}.pickle"


def snapshot_save(index: FilterIndex) -> None:
    """Keep a copy of `index` for the next process (written whole, then renamed)."""
    path = _snapshot_path()
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v for k, v in index.__dict__.items() if k not in ("lock", "caught_up_at", "gaps")}
    state["gap_ids"] = list(index.gaps)  # still to come: asked for again
    state["format"] = SNAPSHOT_FORMAT
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as file:
        pickle.dump(state, file, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(file.name, path)


def snapshot_load() -> FilterIndex | None:
    """The copy on disk, if there is one younger than the log's memory
    (older ones may miss changes whose log rows are pruned)."""
    path = _snapshot_path()
    if path is None or not path.exists():
        return None
    if time.time() - path.stat().st_mtime > IDLE_SECONDS:
        return None
    try:
        with path.open("rb") as file:
            state = pickle.load(file)  # noqa: S301  (this process's own file)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
        return None
    if not isinstance(state, dict) or state.pop("format", None) != SNAPSHOT_FORMAT:
        return None
    index = FilterIndex()
    gap_ids = state.pop("gap_ids", [])
    index.__dict__.update(state)
    index.gaps = dict.fromkeys(gap_ids, time.monotonic())
    return index


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
