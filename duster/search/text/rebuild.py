"""Rebuilding the text index on two cores: a second process reads the works
and makes their rows (folding and splitting the words is most of the work)
while this one writes them.

The second process reads with a connection of its own, so it sees only
committed works: it is used only outside a transaction (the command), only
with a database another process can open (not an SQLite database in
memory, as in the tests), and only from a process with one thread. Anywhere
else the rows are made here, batch by batch.
"""

import multiprocessing
import queue
import threading
from collections.abc import Iterator
from types import ModuleType

from django.db import connection, connections
from django.db.backends.sqlite3.creation import DatabaseCreation

from duster.search.text.documents import work_texts
from duster.works.models import Work, WorkState

# Works read and written at a time: memory stays bounded whatever the archive's size.
BATCH = 500
# Batches made ahead of the writing, at most.
AHEAD = 4
# Fewer posted works than this are made here: starting a process costs more.
SECOND_PROCESS_FROM = 2 * BATCH
# How long to wait for a batch before checking that the maker still runs.
_WAIT_SECONDS = 5

# One made batch: (ids of its posted works, whose rows it replaces; how many
# of them it indexes; the backend's rows for them).
Batch = tuple[list[int], int, object]


def _made(backend: ModuleType) -> Iterator[Batch]:
    """Every work's batch in id order, made in this process."""
    last = 0
    while True:
        # The next ids by the primary key, posted or not: filtered on the
        # state, SQLite walks the state index and sorts every posted work
        # after `last` for each batch (0.4 s a batch at a million works).
        rows = list(
            Work.objects.filter(pk__gt=last).order_by("pk").values_list("pk", "state")[:BATCH]
        )
        if not rows:
            return
        last = rows[-1][0]
        posted = [pk for pk, state in rows if state == WorkState.POSTED]
        texts = work_texts(posted)
        yield posted, len(texts), backend.index_rows(texts)


def _make(backend: ModuleType, out: multiprocessing.Queue) -> None:
    """The second process: every batch into `out`, then None (or what went
    wrong). Two such processes gained nothing on two cores (rebuilding
    100,000 works on SQLite: 33.9 s, against 32.6 with one, 43.1 with none)."""
    try:
        for batch in _made(backend):
            out.put(batch)
        out.put(None)
    except Exception as error:  # the writer says what; this process just ends
        out.put(f"{type(error).__name__}: {error}")
    finally:
        connection.close()


def _forks_safely() -> bool:
    """Whether this process can fork: on a system that forks, with no other
    thread (the task worker runs periodic jobs in one) whose locks the
    child would inherit held."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def _second_process_helps(posted: int) -> bool:
    in_memory = connection.vendor == "sqlite" and DatabaseCreation.is_in_memory_db(
        connection.settings_dict["NAME"]
    )
    return (
        posted >= SECOND_PROCESS_FROM
        and not connection.in_atomic_block
        and not in_memory
        and _forks_safely()
    )


def made_batches(backend: ModuleType, posted: int) -> Iterator[Batch]:
    """Every work's batch in id order, made by a second process where it
    helps (`posted`: about how many works are posted)."""
    if not _second_process_helps(posted):
        yield from _made(backend)
        return
    # A forked process must not share this one's connections: each opens its own.
    connections.close_all()
    context = multiprocessing.get_context("fork")
    out = context.Queue(maxsize=AHEAD)
    maker = context.Process(target=_make, args=(backend, out), name="duster-index-rows")
    maker.start()
    try:
        while True:
            try:
                batch = out.get(timeout=_WAIT_SECONDS)
            except queue.Empty:
                if not maker.is_alive():
                    raise RuntimeError("the process making the index's rows stopped") from None
                continue
            if batch is None:
                return
            if isinstance(batch, str):
                raise RuntimeError(f"making the index's rows failed: {batch}")
            yield batch
    finally:
        if maker.is_alive():
            maker.kill()
        maker.join()
        out.close()
