"""The comments-and-kudos load benchmark's own parts, without a server: what
each client sends, the figures, reading the answers and the reconciliation."""

import os
import time

from django.contrib import messages
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest

from bench.community import (
    Member,
    Mix,
    Outcome,
    client_run,
    comment_id_from,
    comment_text,
    cookies_from,
    figures,
    kudos_plan,
    percentile,
    reconcile,
    scheduler_seconds,
)
from bench.community_django import kudos_told, normalized


def comment(comment_id, user_id=1, work_id=10, text="Nice."):
    return Outcome("comment", 5.0, 303, True, "", user_id, work_id, None, None, comment_id, text)


def kudos(user_id, work_id, accepted=True, told=""):
    return Outcome("kudos", 5.0, 303, accepted, user_id=user_id, work_id=work_id, told=told)


class FakeMember(Member):
    """Answers every write at once: comments get new ids, kudos a 303."""

    def __init__(self) -> None:
        super().__init__(0, 7, "fake")
        self.sent: list[tuple[str, dict]] = []

    def request(self, method, path, form=None):
        self.sent.append((path, form or {}))
        if path.endswith("/comments/new"):
            return 303, f"{path.removesuffix('comments/new')}#comment-{len(self.sent)}", b""
        return 303, path.removesuffix("kudos") + "#kudos", b""


def test_each_client_leaves_kudos_on_every_work_at_most_once_in_an_order_of_its_own():
    plans = kudos_plan([1, 2, 3, 4, 5, 6], clients=3, seed=1)
    assert [sorted(plan) for plan in plans] == [[1, 2, 3, 4, 5, 6]] * 3
    assert len({tuple(plan) for plan in plans}) > 1
    assert kudos_plan([1, 2, 3, 4, 5, 6], clients=3, seed=1) == plans


def test_comments_carry_a_marker_of_their_own():
    assert comment_text(3, 12) != comment_text(3, 13) != comment_text(4, 12)
    assert "c003-00012" in comment_text(3, 12)


def test_the_comment_id_comes_from_the_location_of_an_accepted_comment():
    assert comment_id_from("/works/3/chapters/9/#comment-42") == 42
    assert comment_id_from("/works/3/comments/new") is None


def test_percentiles_are_nearest_rank():
    values = list(range(1, 101))
    assert (percentile(values, 0.5), percentile(values, 0.95), percentile(values, 1)) == (
        50,
        95,
        100,
    )
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([], 0.5) != percentile([], 0.5)  # NaN


def test_figures_count_what_was_sent_accepted_and_refused_per_kind():
    refused = Outcome("comment", 9.0, 500, False, "500")
    result = figures([comment(1), comment(2), refused, kudos(1, 10)], "comment")
    assert (result.sent, result.accepted) == (3, 2)
    assert result.errors == {"500": 1}


def test_cookies_are_read_from_set_cookie_headers():
    headers = ["csrftoken=abc; Path=/; SameSite=Lax", "sessionid=xyz; HttpOnly; Path=/"]
    assert cookies_from(headers) == {"csrftoken": "abc", "sessionid": "xyz"}
    assert cookies_from(['messages=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/']) == {
        "messages": ""
    }


def test_kudos_count_only_when_the_member_is_thanked():
    storage = CookieStorage(HttpRequest())
    thanks = storage._encode([Message(messages.SUCCESS, "Thank you for leaving kudos!")])
    already = storage._encode([Message(messages.ERROR, "You have already left kudos here.")])
    outcomes = [kudos(1, 10, told=thanks), kudos(1, 11, told=already), kudos(1, 12)]
    kudos_told(outcomes)
    assert [o.accepted for o in outcomes] == [True, False, False]
    assert "already" in outcomes[1].detail and "nothing" in outcomes[2].detail


def test_reconciliation_is_exact_when_every_answer_is_a_row():
    outcomes = [comment(1, text="Hello\r\nthere"), kudos(1, 10), kudos(2, 10)]
    rows = {1: (1, 10, "Hello\nthere")}
    assert reconcile(outcomes, rows, {(1, 10), (2, 10)}, [(10, 1, 1, 2, 2)]) == []


def test_reconciliation_finds_lost_changed_and_unannounced_rows_and_drifting_counters():
    outcomes = [comment(1), comment(2, text="Mine"), comment(3), kudos(1, 10), kudos(2, 10)]
    rows = {2: (1, 10, "Not mine"), 3: (1, 10, "Nice."), 4: (1, 10, "Nice.")}
    problems = reconcile(outcomes, rows, {(1, 10)}, [(10, 3, 3, 1, 2)])
    text = "\n".join(problems)
    assert "1 accepted comments are not in the database: [1]" in text
    assert "1 comments differ from what was sent: [2]" in text
    assert "1 comment rows nobody was told about: [4]" in text
    assert "1 accepted kudos are not in the database: [(2, 10)]" in text
    assert "1 kudos rows for 2 accepted kudos" in text
    assert "work 10: comment_count 3 for 3 comments, kudos_count 1 for 2 kudos" in text


def test_a_client_never_repeats_kudos_and_replies_only_to_its_own_comments_on_their_chapter():
    member = FakeMember()
    mix = Mix({10: [100], 11: [110, 111, 112]}, kudos_share=0.3, reply_share=0.5)
    outcomes = client_run(0, member, [10, 11], mix, time.perf_counter() + 0.05)
    assert all(o.accepted for o in outcomes)
    assert sorted(o.work_id for o in outcomes if o.kind == "kudos") in ([], [11], [10, 11])
    by_id = {o.comment_id: o for o in outcomes if o.kind == "comment"}
    for outcome in by_id.values():
        assert outcome.chapter_id is None if outcome.work_id == 10 else outcome.chapter_id
        if outcome.parent_id is not None:
            parent = by_id[outcome.parent_id]
            assert (parent.work_id, parent.chapter_id) == (outcome.work_id, outcome.chapter_id)
    forms = [form for path, form in member.sent if path.endswith("/comments/new")]
    assert all(form["body"] and form.get("parent", min(by_id)) in by_id for form in forms)


def test_statements_add_up_by_kind_without_their_values_or_column_lists():
    columns = '"work"."id", "work"."title", "work"."summary", "work"."notes"'
    select = f'SELECT {columns} FROM "work" WHERE "work"."id" = 5 AND x IN (1, 2)'
    assert normalized(select) == 'SELECT … FROM "work" WHERE "work"."id" = ? AND x IN (…)'
    assert normalized('SELECT 1 AS "a" FROM "w" LIMIT 1') == 'SELECT ? AS "a" FROM "w" LIMIT ?'
    insert = 'INSERT INTO "k" ("work_id", "user_id") VALUES (3, \'x\')'
    assert normalized(insert) == 'INSERT INTO "k" (…) VALUES (…)'
    nested = (
        'SELECT 1 AS "a" FROM "work" WHERE "id" IN (SELECT "U0"."work_id" FROM "creatorship" "U0")'
    )
    assert normalized(nested).startswith('SELECT ? AS "a" FROM "work" WHERE')


def test_the_scheduler_says_how_long_this_process_ran():
    running, waiting = scheduler_seconds([os.getpid()])
    assert running > 0 and waiting >= 0
