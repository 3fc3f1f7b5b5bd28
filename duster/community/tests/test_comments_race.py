"""Many readers commenting, replying, hiding and deleting on one work at
once leave its comment count equal to the published rows (PostgreSQL:
SQLite serializes writers already)."""

import random
import threading

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, connections

from duster.community.models import Comment
from duster.community.services.comments import (
    comment_delete,
    comment_hide,
    comment_post,
    comment_unhide,
)
from duster.community.services.counts import COUNTED_COMMENTS
from duster.testing.factories import make_user, make_work
from duster.works.models import Work

SESSIONS = 8
ACTIONS_EACH = 12


@pytest.mark.django_db(transaction=True)
def test_concurrent_comments_keep_the_count_true(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("needs several connections writing at once (PostgreSQL)")
    monkeypatch.setattr(settings, "COMMENT_MEMBER_PER_MINUTE", 10_000)
    author = make_user("author")
    readers = [make_user(f"reader{n}") for n in range(SESSIONS)]
    work = make_work(author)
    seeds = [comment_post(work=work, user=author, body=f"Seed {n}") for n in range(4)]
    errors, refused = [], []

    def act(number: int):
        rng = random.Random(number)
        reader = readers[number]
        mine: list[Comment] = []
        try:
            for step in range(ACTIONS_EACH):
                choice = rng.random()
                try:
                    if choice < 0.5 or not mine:
                        parent = rng.choice(seeds) if rng.random() < 0.3 else None
                        body = f"{number}-{step}"
                        mine.append(comment_post(work=work, parent=parent, user=reader, body=body))
                    elif choice < 0.7:
                        comment_delete(comment=mine.pop(rng.randrange(len(mine))), user=reader)
                    elif choice < 0.85:
                        comment_hide(comment=rng.choice(seeds), user=author)
                    else:
                        comment_unhide(comment=rng.choice(seeds), user=author)
                except ValidationError:
                    refused.append(step)  # a reply to a seed hidden meanwhile
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=act, args=(n,)) for n in range(SESSIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    published = Comment.objects.filter(COUNTED_COMMENTS, work=work).count()
    assert Work.objects.get(pk=work.pk).comment_count == published
