"""Comments on the pages: the work page's comment section for guests and
members, the form page, the answers to bad input, moderation and creators'
actions, query counts and the guests' page cache."""

import re
from urllib.parse import unquote

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from duster.accounts.models import Mute, Pseud
from duster.accounts.services import pseud_save
from duster.community.choices import CommentState
from duster.community.models import Comment
from duster.community.services.comments import comment_hide, comment_post
from duster.testing.factories import make_user, make_work
from duster.works.models import Work

pytestmark = pytest.mark.django_db

LOGIN_TEXT = "You must log in (or register) to comment."
GUEST_POST = {"name": "Wren", "email": "wren@example.com", "body": "Lovely!", "website": ""}


def member_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text_of(response) -> str:
    """The page's words, without markup."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", response.content.decode()))


def new_url(work) -> str:
    return f"/works/{work.pk}/comments/new"


# --- What a guest sees ----------------------------------------------------------------------


def test_guest_on_a_registered_work_is_asked_to_log_in_with_both_links(work):
    response = Client().get(f"/works/{work.pk}/")
    html = response.content.decode()
    assert "csrfmiddlewaretoken" not in html
    assert LOGIN_TEXT in re.sub(r"<[^>]+>", "", html)
    match = re.search(r'You must <a href="([^"]+)">log in</a>', html)
    assert match is not None
    login = match.group(1)
    assert login.startswith("/account/login/?next=")
    assert unquote(login.split("next=", 1)[1]) == f"/works/{work.pk}/#add-comment"
    assert '(or <a href="/account/signup/">register</a>)' in html


def test_after_logging_in_the_reader_lands_on_the_comment_box(work, reader):
    html = Client().get(f"/works/{work.pk}/").content.decode()
    match = re.search(r'You must <a href="([^"]+)">log in</a>', html)
    assert match is not None
    login = match.group(1).replace("&amp;", "&")
    client = Client()
    response = client.post(login, {"username": "reader", "password": "a-long-password"})
    assert response.status_code == 302
    assert response["Location"] == f"/works/{work.pk}/#add-comment"
    page = client.get(f"/works/{work.pk}/").content.decode()
    assert 'id="add-comment"' in page and 'name="body"' in page


def test_guest_on_an_open_work_gets_a_link_to_the_guest_form(author):
    work = make_work(author, comment_policy="anyone")
    html = Client().get(f"/works/{work.pk}/").content.decode()
    assert "csrfmiddlewaretoken" not in html
    assert "Comment as a guest" in html and f'href="{new_url(work)}?chapter=' in html
    form = Client().get(new_url(work))
    assert form.status_code == 200
    page = form.content.decode()
    assert "csrfmiddlewaretoken" in page and 'name="name"' in page and 'name="website"' in page


def test_comments_turned_off(author):
    work = make_work(author, comment_policy="nobody")
    assert "Comments are turned off for this work." in Client().get(f"/works/{work.pk}/").text
    member = member_client(make_user())
    assert "Comments are turned off for this work." in member.get(f"/works/{work.pk}/").text


def test_guest_comment_is_posted_and_redirected_to_its_place(author):
    work = make_work(author, comment_policy="anyone")
    response = Client().post(new_url(work), GUEST_POST)
    comment = Comment.objects.get()
    assert response.status_code == 303
    assert response["Location"] == f"/works/{work.pk}/#comment-{comment.pk}"
    assert (comment.guest_name, comment.user_id) == ("Wren", None)
    page = Client().get(f"/works/{work.pk}/").text
    assert f'id="comment-{comment.pk}"' in page and "Wren" in page and "Comments (1)" in page


def test_guest_post_on_a_registered_work_is_refused_with_the_login_text(work):
    response = Client().post(new_url(work), GUEST_POST)
    assert response.status_code == 200
    assert LOGIN_TEXT in text_of(response)
    assert "Lovely!" in response.text  # kept, to copy before logging in
    assert not Comment.objects.exists()


# --- What a member sees and does --------------------------------------------------------------


def test_member_page_has_the_inline_form_with_csrf(work, reader):
    html = member_client(reader).get(f"/works/{work.pk}/").content.decode()
    match = re.search(r'<form[^>]*id="add-comment".*?</form>', html, re.S)
    assert match is not None
    form = match.group(0)
    assert "csrfmiddlewaretoken" in form and 'name="body"' in form


def test_member_comments_on_a_chapter_and_lands_on_it(author, reader):
    work = make_work(author, chapters=3, expected_chapters=3)
    second = work.chapters.get(position=2)
    response = member_client(reader).post(
        new_url(work), {"body": "On chapter two", "chapter": second.pk}
    )
    comment = Comment.objects.get()
    assert comment.chapter_id == second.pk
    assert response.status_code == 303
    assert response["Location"] == f"/works/{work.pk}/chapters/{second.pk}/#comment-{comment.pk}"
    chapter_page = Client().get(f"/works/{work.pk}/chapters/{second.pk}/").text
    first_page = Client().get(f"/works/{work.pk}/").text
    full_page = Client().get(f"/works/{work.pk}/?view_full_work=true").text
    assert "On chapter two" in chapter_page and "On chapter two" in full_page
    assert "On chapter two" not in first_page


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Write your comment before posting it."),
        ("<script>alert(1)</script>" + "z" * 10_001, "at most 10,000 characters"),
    ],
)
def test_bad_input_keeps_the_typed_text(work, reader, body, message):
    response = member_client(reader).post(new_url(work), {"body": body})
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert "<script>alert" not in html
    if body:
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" + "z" * 10_001 in html
    assert not Comment.objects.exists()


def test_html_in_a_comment_is_shown_as_text_never_run(work, reader):
    member_client(reader).post(new_url(work), {"body": "<script>alert(1)</script> Bravo"})
    page = Client().get(f"/works/{work.pk}/").content.decode()
    assert "<script>alert(1)" not in page and "Bravo" in page


def test_honeypot_refusal_keeps_the_text(author):
    work = make_work(author, comment_policy="anyone")
    response = Client().post(new_url(work), {**GUEST_POST, "website": "http://spam.example"})
    assert response.status_code == 200
    assert "spam programs" in response.text and "Lovely!" in response.text
    assert not Comment.objects.exists()


def test_rate_limited_post_answers_429_with_the_form(work, reader, settings):
    settings.COMMENT_MEMBER_PER_MINUTE = 1
    client = member_client(reader)
    assert client.post(new_url(work), {"body": "One"}).status_code == 303
    response = client.post(new_url(work), {"body": "Two, too soon"})
    assert response.status_code == 429
    assert "Please wait" in response.text and "Two, too soon" in response.text


def test_reply_form_page_shows_the_comment_replied_to(work, author, reader):
    top = comment_post(work=work, user=reader, body="What happens next?")
    client = member_client(author)
    page = client.get(f"{new_url(work)}?parent={top.pk}").text
    assert "What happens next?" in page and f'value="{top.pk}"' in page
    response = client.post(new_url(work), {"body": "Wait and see.", "parent": top.pk})
    reply = Comment.objects.get(parent=top)
    assert response["Location"].endswith(f"#comment-{reply.pk}")
    html = Client().get(f"/works/{work.pk}/").text
    assert "(Creator)" in html
    assert html.index(f'id="comment-{top.pk}"') < html.index(f'id="comment-{reply.pk}"')


def test_edit_and_delete_pages(work, reader, author):
    comment = comment_post(work=work, user=reader, body="Typo hree")
    client = member_client(reader)
    assert "Typo hree" in client.get(f"/comments/{comment.pk}/edit").text
    response = client.post(f"/comments/{comment.pk}/edit", {"body": "Typo here"})
    assert response.status_code == 303
    page = Client().get(f"/works/{work.pk}/").text
    assert "Typo here" in page and "Edited" in page
    assert member_client(author).get(f"/comments/{comment.pk}/edit").status_code == 404
    comment_post(work=work, parent=comment, user=author, body="Fixed, thanks")
    assert client.post(f"/comments/{comment.pk}/delete").status_code == 303
    page = Client().get(f"/works/{work.pk}/").text
    assert "This comment was deleted." in page and "Fixed, thanks" in page
    assert "Typo here" not in page


def test_hidden_comment_shows_to_its_writer_and_the_creators_only(work, author, reader):
    comment = comment_post(work=work, user=reader, body="Spoilers!")
    response = member_client(author).post(f"/comments/{comment.pk}/hide")
    assert response.status_code == 303
    assert Comment.objects.get().state == CommentState.HIDDEN
    assert "Spoilers!" not in Client().get(f"/works/{work.pk}/").text
    assert "Spoilers!" not in member_client(make_user()).get(f"/works/{work.pk}/").text
    for user in (author, reader):
        page = member_client(user).get(f"/works/{work.pk}/").text
        assert "Spoilers!" in page and "Hidden" in page


def test_creator_actions_need_a_creator(work, reader):
    comment = comment_post(work=work, user=reader, body="Mine")
    client = member_client(reader)
    for action in ("hide", "freeze", "approve"):
        assert client.post(f"/comments/{comment.pk}/{action}").status_code == 404
    assert client.get(f"/comments/{comment.pk}/hide").status_code == 405


def test_moderation_queue(author, reader):
    work = make_work(author, comment_policy="anyone", moderated_comments=True)
    response = Client().post(new_url(work), GUEST_POST)
    assert response.status_code == 303
    member_client(reader).post(new_url(work), {"body": "Member words"})
    queued = list(Comment.objects.order_by("pk"))
    assert {c.state for c in queued} == {CommentState.QUEUED}
    assert "Lovely!" not in Client().get(f"/works/{work.pk}/").text
    own = member_client(reader).get(f"/works/{work.pk}/").text
    assert "Member words" in own and "Awaiting approval" in own
    creator = member_client(author)
    assert "2 comments awaiting your approval" in creator.get(f"/works/{work.pk}/").text
    queue_url = f"/works/{work.pk}/comments/queue"
    queue = creator.get(queue_url).text
    assert "Lovely!" in queue and "Member words" in queue
    assert member_client(reader).get(queue_url).status_code == 404
    response = creator.post(f"/comments/{queued[0].pk}/approve", {"next": queue_url})
    assert response["Location"] == queue_url
    assert "Lovely!" in Client().get(f"/works/{work.pk}/").text
    assert Work.objects.get(pk=work.pk).comment_count == 1


def test_muted_writer_disappears_for_the_muting_reader(work, author, reader):
    pest = make_user("pest")
    noisy = comment_post(work=work, user=pest, body="Noise")
    comment_post(work=work, parent=noisy, user=author, body="Calm reply")
    comment_post(work=work, user=pest, body="More noise")
    comment_post(work=work, user=author, body="Signal")
    Mute.objects.create(user=reader, muted_user=pest)
    page = member_client(reader).get(f"/works/{work.pk}/").text
    assert "Noise" not in page and "More noise" not in page
    assert "This comment is from a user you muted." in page and "Calm reply" in page
    assert "Comments (2)" in page
    assert "Comments (4)" in Client().get(f"/works/{work.pk}/").text


def test_permalink_redirects_to_the_comment(work, reader):
    comment = comment_post(work=work, user=reader, body="Here")
    response = Client().get(f"/comments/{comment.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/works/{work.pk}/#comment-{comment.pk}"
    comment_hide(comment=comment, user=work.credited_pseuds()[0].user)
    assert Client().get(f"/comments/{comment.pk}/").status_code == 404


def test_threads_are_paged(work, author, settings, monkeypatch):
    monkeypatch.setattr("duster.community.selectors.comments.THREADS_PER_PAGE", 2)
    settings.COMMENT_MEMBER_PER_MINUTE = 100
    comments = [comment_post(work=work, user=author, body=f"Thread {n}") for n in range(5)]
    first = Client().get(f"/works/{work.pk}/").text
    assert "Thread 4" in first and "Thread 3" in first and "Thread 2" not in first
    assert "comments_page=2" in first
    third = Client().get(f"/works/{work.pk}/?comments_page=3").text
    assert "Thread 0" in third and "Thread 1" not in third
    reply = comment_post(work=work, parent=comments[0], user=author, body="Late reply")
    location = Client().get(f"/comments/{reply.pk}/")["Location"]
    assert location == f"/works/{work.pk}/?comments_page=3#comment-{reply.pk}"


# --- Costs and the guests' page cache ---------------------------------------------------------


def page_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("who", ["guest", "member", "creator"])
def test_work_page_queries_do_not_grow_with_comments(author, reader, who, settings):
    settings.COMMENT_MEMBER_PER_MINUTE = 1000
    few = make_work(author, title="Few", moderated_comments=True)
    many = make_work(author, title="Many", moderated_comments=True)
    other = make_user("other")
    Mute.objects.create(user=reader, muted_user=other)
    comment_post(work=few, user=author, body="One")
    for n in range(10):
        top = comment_post(work=many, user=author, body=f"Top {n}")
        comment_post(work=many, parent=top, user=author, body="Reply")
        comment_post(work=many, parent=top, user=other, body="Queued reply")
    client = {"guest": Client(), "member": member_client(reader), "creator": member_client(author)}[
        who
    ]
    # A first look at each (hits, sessions), then the measured one.
    client.get(f"/works/{few.pk}/")
    client.get(f"/works/{many.pk}/")
    settings.PAGE_CACHE_SECONDS = 0
    assert page_queries(client, f"/works/{few.pk}/") == page_queries(client, f"/works/{many.pk}/")


def test_cached_guest_page_shows_a_new_comment_at_once(author, reader):
    work = make_work(author, comment_policy="anyone")
    guest = Client()
    assert "Comments (0)" in guest.get(f"/works/{work.pk}/").text
    with CaptureQueriesContext(connection) as queries:
        guest.get(f"/works/{work.pk}/")
    assert not [q for q in queries if "community_comment" in q["sql"]]  # served from the cache
    member_client(reader).post(new_url(work), {"body": "Fresh words"})
    page = guest.get(f"/works/{work.pk}/").text
    assert "Fresh words" in page and "Comments (1)" in page
    comment = Comment.objects.get()
    member_client(reader).post(f"/comments/{comment.pk}/edit", {"body": "Fresher words"})
    assert "Fresher words" in guest.get(f"/works/{work.pk}/").text


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        # roots of the page's threads, then their rows
        ("guest", 2),
        # + the member's mutes, their pseuds (for the form)
        ("member", 4),
        # + the muted writers' comments, taken out of the number shown
        ("muting member", 5),
        # + the queue's length (a moderated work's creator)
        ("creator", 5),
    ],
)
def test_queries_the_comments_section_adds(author, reader, who, expected, rf):
    from django.contrib.auth.models import AnonymousUser

    from duster.community.selectors.comments import comments_page_context
    from duster.works.selectors import chapters_for_reader, work_for_reader

    work = make_work(author, moderated_comments=True)
    top = comment_post(work=work, user=author, body="Hello")
    comment_post(work=work, parent=top, user=reader, body="Hi")
    if who == "muting member":
        Mute.objects.create(user=reader, muted_user=author)
    user = {"guest": AnonymousUser(), "creator": author}.get(who, reader)
    request = rf.get(f"/works/{work.pk}/")
    request.user = user
    work = work_for_reader(work.pk, user)
    chapters = chapters_for_reader(work, user)
    with CaptureQueriesContext(connection) as queries:
        context = comments_page_context(
            request, work=work, chapters=chapters, shown=chapters, full_work=True
        )
    assert len(queries) == expected
    assert context["comment_threads"]


@pytest.mark.parametrize("policy", ["anyone", "nobody", "registered"])
def test_new_work_form_starts_from_the_archive_default_policy(author, settings, policy):
    settings.COMMENT_POLICY_DEFAULT = policy
    html = member_client(author).get("/works/new").content.decode()
    match = re.search(r'<input[^>]*name="comment_policy"[^>]*checked[^>]*>', html)
    assert match is not None
    checked = match.group(0)
    assert f'value="{policy}"' in checked


def test_anonymous_work_creators_comment_unnamed(author, reader):
    work = make_work(author, title="Unsigned", anonymous=True)
    top = comment_post(work=work, user=reader, body="Who wrote this?")
    reply = comment_post(work=work, parent=top, user=author, body="A secret.")
    Mute.objects.create(user=reader, muted_user=author)
    for client in (Client(), member_client(reader)):
        page = client.get(f"/works/{work.pk}/").text
        assert "A secret." in page and "Anonymous" in page
        assert "/users/author/" not in page
    reply_page = member_client(reader).get(f"{new_url(work)}?parent={reply.pk}").text
    assert "A secret." in reply_page and "/users/author/" not in reply_page


def test_a_mute_and_a_new_pseud_show_on_the_next_page(work, reader):
    """Mutes and pseuds are kept between a member's pages, never past a change."""
    pest = make_user("pest")
    comment_post(work=work, user=pest, body="Noise")
    client = member_client(reader)
    page = client.get(f"/works/{work.pk}/").text
    assert "Noise" in page and 'id="comment-pseud"' not in page
    Mute.objects.create(user=reader, muted_user=pest)
    pseud_save(pseud=Pseud(user=reader, name="Night Reader"))
    page = client.get(f"/works/{work.pk}/").text
    assert "Noise" not in page
    assert '<option value="' in page and "Night Reader</option>" in page
