"""Posting a work through its pages: drafts, preview, post, text formats,
uploads, bad input on the work form, deleting, co-creator invitations and CSRF."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from duster.tags.models import Tag
from duster.testing.factories import make_series, make_user, make_work
from duster.testing.files import make_docx
from duster.testing.html import errors_at, form_values
from duster.works.models import Chapter, Creatorship, Work, WorkState, WorkTag

pytestmark = pytest.mark.django_db


def section(response, css_class: str) -> str:
    """The inner HTML of the first <div> with exactly this class attribute."""
    html = response.content.decode()
    match = re.search(rf'<div class="{css_class}">(.*?)</div>', html, re.S)
    assert match, f'no <div class="{css_class}"> on the page'
    return match.group(1).strip()


def counts() -> dict[str, int]:
    """How many rows posting can create, to show that bad input created none."""
    return {
        model.__name__: model.objects.count()
        for model in (Work, Chapter, Tag, WorkTag, Creatorship)
    }


def work_data(user, **overrides) -> dict:
    """A complete, valid posting form for `user`; overrides replace fields."""
    data = {
        "title": "Lamplight",
        "pseuds": [user.default_pseud.pk],
        "co_creators": "",
        "rating": "general",
        "warnings": ["none"],
        "categories": ["gen"],
        "fandoms": "Lamplighter Chronicles",
        "relationships": "Ada/Bram",
        "characters": "Ada, Bram",
        "freeforms": "Fluff, Missing Scene",
        "language": "en",
        "summary": "Ada lights the lamps.",
        "notes": "",
        "end_notes": "",
        "expected_chapters": "1",
        "published_on": "",
        "comment_policy": "registered",
        "text_format": "html",
        "chapter_title": "",
        "body": "<p>The lamps came on one by one.</p>",
        "action": "post",
    }
    data.update(overrides)
    return data


# --- Access ---------------------------------------------------------------------------------


def test_posting_form_asks_a_guest_to_log_in(client):
    response = client.get("/works/new")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert "next=/works/new" in response["Location"]


def test_guest_cannot_post_a_work(client):
    before = counts()
    response = client.post("/works/new", work_data(make_user()))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert counts() == before


def test_posting_form_shows_every_field_with_a_label(author_client):
    response = author_client.get("/works/new")
    assert response.status_code == 200
    html = response.content.decode()
    for field in ("title", "rating", "fandoms", "summary", "body", "upload", "expected_chapters"):
        assert f'for="id_{field}"' in html
    assert 'value="post"' in html and 'value="draft"' in html and 'value="preview"' in html


# --- Post, draft, preview -------------------------------------------------------------------


def test_posting_creates_a_posted_work_with_its_first_chapter(author_client, author):
    response = author_client.post("/works/new", work_data(author, chapter_title="Dusk"))
    work = Work.objects.get()
    assert response.status_code == 302
    assert response["Location"] == work.get_absolute_url()
    assert work.state == WorkState.POSTED
    assert work.published_at is not None
    chapter = work.chapters.get()
    assert (chapter.position, chapter.title, chapter.posted) == (1, "Dusk", True)
    assert [p.pk for p in work.credited_pseuds()] == [author.default_pseud.pk]
    assert sorted(t.name for t in work.tags.filter(fixed=False)) == [
        "Ada",
        "Ada/Bram",
        "Bram",
        "Fluff",
        "Lamplighter Chronicles",
        "Missing Scene",
    ]

    page = Client().get(work.get_absolute_url())
    assert page.status_code == 200
    assert "Lamplight" in page.content.decode()
    assert "The lamps came on one by one." in page.content.decode()


def test_posted_work_appears_in_the_latest_works(author_client, author):
    author_client.post("/works/new", work_data(author, title="Fresh Off The Press"))
    assert "Fresh Off The Press" in Client().get("/works/").content.decode()


def test_draft_is_saved_and_visible_only_to_its_creator(author_client, author):
    response = author_client.post("/works/new", work_data(author, action="draft"))
    work = Work.objects.get()
    assert work.state == WorkState.DRAFT
    assert response.status_code == 302
    assert response["Location"] == work.get_absolute_url()

    own = author_client.get(work.get_absolute_url())
    assert own.status_code == 200
    assert "The lamps came on one by one." in own.content.decode()
    assert "(Draft)" in own.content.decode()

    assert Client().get(work.get_absolute_url()).status_code == 404
    other = Client()
    other.force_login(make_user())
    assert other.get(work.get_absolute_url()).status_code == 404
    assert other.get(reverse("work_navigate", args=[work.pk])).status_code == 404
    assert "Lamplight" not in Client().get("/works/").content.decode()
    assert "Lamplight" not in other.get(f"/users/{author.username}/").content.decode()


def test_preview_shows_the_draft_as_readers_will_see_it_with_a_post_button(author_client, author):
    response = author_client.post(
        "/works/new",
        work_data(author, action="preview", end_notes="<p>Thanks for reading.</p>"),
    )
    work = Work.objects.get()
    assert work.state == WorkState.DRAFT
    assert response.status_code == 302
    assert response["Location"] == f"/works/{work.pk}/preview"

    preview = author_client.get(f"/works/{work.pk}/preview")
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "This is how readers will see your work" in html
    assert '<h1 class="title heading" id="work-title">Lamplight' in html
    assert "The lamps came on one by one." in html
    assert "Thanks for reading." in html
    assert "Lamplighter Chronicles" in html
    assert re.search(
        rf'<form method="post" action="/works/{work.pk}/post">.*?<button type="submit">Post</button>',
        html,
        re.S,
    )


def test_preview_is_only_for_the_creator(author):
    work = make_work(author, post=False)
    assert Client().get(f"/works/{work.pk}/preview").status_code == 302
    other = Client()
    other.force_login(make_user())
    assert other.get(f"/works/{work.pk}/preview").status_code == 404


def test_post_button_publishes_the_draft(author_client, author):
    work = make_work(author, title="Quiet Draft", post=False)
    response = author_client.post(f"/works/{work.pk}/post")
    assert response.status_code == 302
    assert response["Location"] == work.get_absolute_url()
    work.refresh_from_db()
    assert work.state == WorkState.POSTED
    assert work.chapters.get().posted
    guest_view = Client().get(work.get_absolute_url())
    assert guest_view.status_code == 200
    assert "Quiet Draft" in guest_view.content.decode()


def test_posting_needs_a_post_request(author_client, author):
    work = make_work(author, post=False)
    assert author_client.get(f"/works/{work.pk}/post").status_code == 405
    work.refresh_from_db()
    assert work.is_draft


def test_another_user_cannot_post_someones_draft(author):
    work = make_work(author, post=False)
    other = Client()
    other.force_login(make_user())
    assert other.post(f"/works/{work.pk}/post").status_code == 404
    work.refresh_from_db()
    assert work.is_draft


def test_draft_can_be_posted_from_its_edit_form(author_client, author):
    work = make_work(author, post=False)
    data = work_data(author, title="Now Posted", action="post")
    del data["body"], data["chapter_title"]
    response = author_client.post(f"/works/{work.pk}/edit", data)
    assert response.status_code == 302
    work.refresh_from_db()
    assert (work.title, work.state) == ("Now Posted", WorkState.POSTED)


def test_editing_a_work_changes_its_title_and_tags(author_client, author):
    work = make_work(author, title="Old Title", freeforms=["Angst"])
    form = author_client.get(f"/works/{work.pk}/edit")
    assert form.status_code == 200
    assert form_values(form)["title"] == ["Old Title"]
    assert form_values(form)["freeforms"] == ["Angst"]
    data = work_data(author, title="New Title", freeforms="Fluff", action="save")
    response = author_client.post(f"/works/{work.pk}/edit", data)
    assert response.status_code == 302
    page = Client().get(work.get_absolute_url()).content.decode()
    assert "New Title" in page
    assert "Fluff" in page and "Angst" not in page


def test_only_a_creator_can_edit_a_work(author):
    work = make_work(author, title="Mine")
    other = Client()
    other.force_login(make_user())
    assert other.get(f"/works/{work.pk}/edit").status_code == 404
    assert other.post(f"/works/{work.pk}/edit", work_data(author, title="Yours")).status_code == 404
    work.refresh_from_db()
    assert work.title == "Mine"


def test_backdated_work_shows_its_publication_date(author_client, author):
    author_client.post("/works/new", work_data(author, published_on="2011-03-04"))
    work = Work.objects.get()
    assert work.published_at is not None
    assert work.published_at.date() == dt.date(2011, 3, 4)
    assert "2011-03-04" in Client().get(work.get_absolute_url()).content.decode()


def test_comment_policy_and_moderation_are_stored(author_client, author):
    author_client.post(
        "/works/new", work_data(author, comment_policy="nobody", moderated_comments="on")
    )
    work = Work.objects.get()
    assert (work.comment_policy, work.moderated_comments) == ("nobody", True)


# --- Text formats ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text_format", "typed", "expected"),
    [
        (
            "html",
            '<p>Hello <em>there</em>.</p><p style="text-align: center">Centred</p>',
            ["<p>Hello <em>there</em>.</p>", '<p style="text-align:center">Centred</p>'],
        ),
        (
            "markdown",
            "Hello *there*.\n\n## A heading\n\n- one\n- two",
            ["<p>Hello <em>there</em>.</p>", "<h2>A heading</h2>", "<li>one</li>"],
        ),
        (
            "text",
            "First line\nsecond line\n\n* * *\n\nA new <paragraph> & more",
            [
                "<p>First line<br>second line</p>",
                "<hr>",
                "<p>A new &lt;paragraph&gt; &amp; more</p>",
            ],
        ),
    ],
    ids=["html", "markdown", "text"],
)
def test_typed_text_in_each_format_becomes_sanitized_html(
    author_client, author, text_format, typed, expected
):
    data = work_data(
        author, text_format=text_format, body=typed + "\n\n<script>alert('body')</script>"
    )
    response = author_client.post("/works/new", data, follow=True)
    assert response.status_code == 200
    body = section(response, "userstuff module")
    for fragment in expected:
        assert fragment in body
    # In plain text a tag is just text: escaped, never markup.
    assert "<script" not in response.content.decode()


def test_text_format_applies_to_summary_and_notes_too(author_client, author):
    data = work_data(
        author,
        text_format="markdown",
        summary="A *short* summary",
        notes="Beginning **notes**",
        end_notes="End notes with a [link](https://example.org/)",
    )
    html = author_client.post("/works/new", data, follow=True).content.decode()
    assert "<p>A <em>short</em> summary</p>" in html
    assert "<p>Beginning <strong>notes</strong></p>" in html
    assert '<a href="https://example.org/" rel="nofollow ugc">link</a>' in html


@pytest.mark.parametrize(
    ("filename", "content", "expected"),
    [
        (
            "story.txt",
            b"One line\nanother\n\n~~~~~\n\nLast.",
            ["<p>One line<br>another</p>", "<hr>"],
        ),
        ("story.md", b"# Title\n\nSome *emphasis*.", ["<h1>Title</h1>", "<em>emphasis</em>"]),
        (
            "story.html",
            b"<h2>Part</h2><p>Para <b>bold</b></p><p onclick='x()'>Click</p>",
            ["<h2>Part</h2>", "<p>Para <b>bold</b></p>", "<p>Click</p>"],
        ),
        (
            "story.docx",
            make_docx("A plain paragraph.", "**A bold one.**"),
            ["<p>A plain paragraph.</p>", "<p><strong>A bold one.</strong></p>"],
        ),
    ],
    ids=["txt", "md", "html", "docx"],
)
def test_uploaded_file_in_each_format_becomes_sanitized_html(
    author_client, author, filename, content, expected
):
    upload = SimpleUploadedFile(filename, content)
    data = work_data(author, body="", upload=upload)
    response = author_client.post("/works/new", data, follow=True)
    assert response.status_code == 200
    body = section(response, "userstuff module")
    for fragment in expected:
        assert fragment in body
    assert "onclick" not in body


def test_typed_text_and_an_upload_together_ask_which_to_keep(author_client, author):
    upload = SimpleUploadedFile("story.txt", b"From the file.")
    response = author_client.post("/works/new", work_data(author, body="Typed.", upload=upload))
    assert response.status_code == 200
    assert not Chapter.objects.exists()
    page = response.content.decode()
    assert "choose which one" in page
    kept = form_values(response)
    assert kept["body"] == ["Typed."]
    assert kept["kept_file"] == ["From the file."]
    resubmit: dict[str, object] = {n: v[0] for n, v in kept.items() if n != "pseuds"}
    resubmit.update(pseuds=[author.default_pseud.pk], keep="file", action="post")
    assert author_client.post("/works/new", resubmit).status_code == 302
    assert Chapter.objects.get().body == "<p>From the file.</p>"


def test_script_in_an_uploaded_html_file_never_reaches_the_page(author_client, author):
    upload = SimpleUploadedFile(
        "story.html", b"<p>Safe</p><script>alert(1)</script><img src=x onerror=alert(2)>"
    )
    response = author_client.post(
        "/works/new", work_data(author, body="", upload=upload), follow=True
    )
    html = response.content.decode()
    assert "Safe" in html
    assert "<script" not in html
    assert "onerror" not in html


def test_script_in_summary_notes_and_tags_never_reaches_the_page(author_client, author):
    data = work_data(
        author,
        title="<script>alert('title')</script>",
        summary="<script>alert('summary')</script>Plain",
        notes='<a href="javascript:alert(1)">notes</a>',
        freeforms="<script>alert('tag')</script>",
    )
    html = author_client.post("/works/new", data, follow=True).content.decode()
    assert "<script>" not in html
    assert "javascript:" not in html
    assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt;" in html


# --- Bad input on the work form -------------------------------------------------------------

_future = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
_BAD_WORK_INPUT = {
    "missing title": ({"title": ""}, "title", "This field is required."),
    "blank title": ({"title": "   "}, "title", "This field is required."),
    "title too long": ({"title": "T" * 256}, "title", "at most 255 characters"),
    "no fandom": ({"fandoms": ""}, "fandoms", "required"),
    "only commas for fandoms": ({"fandoms": " , ,"}, "fandoms", "Add at least one fandom."),
    "no rating": ({"rating": ""}, "rating", "Choose a rating."),
    "unknown rating": ({"rating": "adult"}, "rating", "Select a valid choice."),
    "no warning": ({"warnings": []}, "warnings", "Choose at least one archive warning."),
    "conflicting warnings": (
        {"warnings": ["none", "violence"]},
        "warnings",
        "can't be combined with other warnings",
    ),
    "no pseud": ({"pseuds": []}, "pseuds", "Choose at least one of your pseuds."),
    "pseud id beyond 64 bits": (
        {"pseuds": ["9" * 30]},
        "pseuds",
        "Select a valid choice. 999999999999999999999999999999 is not one",
    ),
    "expected chapters 0": ({"expected_chapters": "0"}, "expected_chapters", "greater than or"),
    "expected chapters abc": (
        {"expected_chapters": "abc"},
        "expected_chapters",
        "Enter a whole number.",
    ),
    "future publication date": (
        {"published_on": _future},
        "published_on",
        "The publication date can't be in the future.",
    ),
    "year 1 publication date": (
        {"published_on": "0001-01-01"},
        "published_on",
        "The publication date can't be before 1900.",
    ),
    "not a date": ({"published_on": "yesterday"}, "published_on", "Enter a valid date."),
    "unknown co-creator": (
        {"co_creators": "nobody_by_this_name"},
        "co_creators",
        "there is no pseud “nobody_by_this_name”",
    ),
    "own pseud as co-creator": ({"co_creators": "author"}, "co_creators", "is your own pseud"),
    "summary too long": (
        {"summary": "s" * 1251},
        "summary",
        "Keep this to 1,250 characters or fewer (it has 1251)",
    ),
    "notes too long": ({"notes": "n" * 5001}, "notes", "Keep this to 5,000 characters"),
    "end notes too long": ({"end_notes": "n" * 5001}, "end_notes", "5,000 characters"),
    "chapter too long": (
        {"body": "w" * 500_001},
        "body",
        "Keep this to 500,000 characters or fewer",
    ),
    "76 additional tags": (
        {"freeforms": ", ".join(f"tag number {n}" for n in range(76))},
        "freeforms",
        "Use at most 75 tags here (you have 76).",
    ),
    "tag too long": ({"characters": "c" * 151}, "characters", "at most 150 characters"),
    "empty body": ({"body": "   "}, "body", "Type or paste the chapter text, or upload a file."),
    "body only a script": (
        {"body": "<script>alert(1)</script>"},
        "body",
        "The chapter text is empty once unsafe HTML is removed.",
    ),
    "unknown text format": ({"text_format": "rtf"}, "text_format", "Select a valid choice."),
    "unknown language": ({"language": "xx-nope"}, "language", "Select a valid choice."),
}
_BAD_UPLOADS = {
    "pdf upload": (
        SimpleUploadedFile("story.pdf", b"%PDF-1.4 not a story"),
        "Unsupported file type '.pdf'",
    ),
    "corrupt docx": (
        SimpleUploadedFile("story.docx", b"PK\x03\x04 this is not a zip"),
        "This file is not a valid .docx document.",
    ),
    "non-UTF-8 txt": (
        SimpleUploadedFile("story.txt", "Café crème".encode("latin-1")),
        "This file is not UTF-8 text.",
    ),
    "empty file": (SimpleUploadedFile("story.txt", b""), "The submitted file is empty."),
    "file of only a script": (
        SimpleUploadedFile("story.html", b"<script>alert(1)</script>"),
        "This file has no text.",
    ),
    "file without extension": (SimpleUploadedFile("story", b"Text"), "no extension"),
}


@pytest.mark.parametrize(
    ("overrides", "field", "message"), _BAD_WORK_INPUT.values(), ids=_BAD_WORK_INPUT.keys()
)
@pytest.mark.parametrize("action", ["post", "draft", "preview"])
def test_bad_work_input_is_refused_at_the_field_and_kept(
    author_client, author, overrides, field, message, action
):
    data = work_data(author, title="My Typed Title", action=action)
    data["body"] = "<p>My typed body, kept.</p>"
    data.update(overrides)
    before = counts()

    response = author_client.post("/works/new", data)

    assert response.status_code == 200
    assert message in errors_at(response, field)
    assert "nothing was saved" in response.content.decode()
    assert counts() == before
    kept = form_values(response)
    assert kept["title"] == [data["title"]]
    assert kept["body"] == [data["body"]]
    for name, value in overrides.items():
        if isinstance(value, str) and name not in ("rating", "language", "text_format"):
            assert kept[name] == [value]
        elif isinstance(value, list) and name == "warnings":
            assert kept.get(name, []) == value


@pytest.mark.parametrize(("upload", "message"), _BAD_UPLOADS.values(), ids=_BAD_UPLOADS.keys())
def test_bad_upload_is_refused_at_the_upload_field(author_client, author, upload, message):
    upload.seek(0)
    data = work_data(author, title="Uploaded Title", body="", upload=upload)
    before = counts()

    response = author_client.post("/works/new", data)

    assert response.status_code == 200
    assert message in errors_at(response, "upload")
    assert counts() == before
    assert form_values(response)["title"] == ["Uploaded Title"]


def test_several_problems_are_all_shown_at_once(author_client, author):
    data = work_data(author, title="", fandoms="", rating="", warnings=[], body="")
    response = author_client.post("/works/new", data)
    assert response.status_code == 200
    for field in ("title", "fandoms", "rating", "warnings", "body"):
        errors_at(response, field)


def test_bad_input_on_the_edit_form_changes_nothing(author_client, author):
    work = make_work(author, title="Untouched", chapters=2, expected_chapters=None)
    for overrides, field, message in [
        ({"title": ""}, "title", "required"),
        ({"summary": "s" * 1251}, "summary", "1,250"),
        ({"expected_chapters": "1"}, "expected_chapters", "has 2 posted chapters"),
        ({"fandoms": ""}, "fandoms", "required"),
    ]:
        data = work_data(author, action="save", **overrides)
        del data["body"], data["chapter_title"]
        response = author_client.post(f"/works/{work.pk}/edit", data)
        assert response.status_code == 200
        assert message in errors_at(response, field)
        for name, value in overrides.items():
            assert form_values(response)[name] == [value]
    work.refresh_from_db()
    assert work.title == "Untouched"
    assert work.expected_chapters is None
    assert [t.name for t in work.fandoms()] == ["Lamplighter Chronicles"]


# --- Co-creators ----------------------------------------------------------------------------


def test_invited_co_creator_is_credited_only_after_accepting(author_client, author):
    cocreator = make_user("cocreator")
    author_client.post("/works/new", work_data(author, co_creators="cocreator", action="draft"))
    work = Work.objects.get()
    invitation = Creatorship.objects.get(work=work, pseud__user=cocreator)
    assert not invitation.approved

    guest_client = Client()
    guest_client.force_login(cocreator)
    assert guest_client.get(work.get_absolute_url()).status_code == 404
    own_page = guest_client.get(f"/users/{cocreator.username}/").content.decode()
    assert "Co-creator invitations" in own_page

    response = guest_client.post(f"/invitations/{invitation.pk}/", {"answer": "accept"})
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.approved
    page = guest_client.get(work.get_absolute_url())
    assert page.status_code == 200
    assert "cocreator" in page.content.decode()


def test_declining_an_invitation_removes_it(author):
    cocreator = make_user("cocreator")
    work = make_work(author, co_creators=[cocreator.default_pseud])
    invitation = Creatorship.objects.get(work=work, pseud__user=cocreator)
    other = Client()
    other.force_login(make_user())
    assert other.post(f"/invitations/{invitation.pk}/", {"answer": "accept"}).status_code == 404

    invited = Client()
    invited.force_login(cocreator)
    invited.post(f"/invitations/{invitation.pk}/", {"answer": "decline"})
    assert not Creatorship.objects.filter(pk=invitation.pk).exists()
    assert "cocreator" not in Client().get(work.get_absolute_url()).content.decode()


# --- Delete ---------------------------------------------------------------------------------


def test_deleting_a_work_asks_for_confirmation_first(author_client, author):
    work = make_work(author, title="Doomed")
    page = author_client.get(f"/works/{work.pk}/delete")
    assert page.status_code == 200
    assert "Delete “Doomed”?" in page.content.decode()
    assert Work.objects.filter(pk=work.pk).exists()

    response = author_client.post(f"/works/{work.pk}/delete")
    assert response.status_code == 302
    assert response["Location"] == f"/users/{author.username}/works"
    assert not Work.objects.filter(pk=work.pk).exists()
    assert not Chapter.objects.filter(work_id=work.pk).exists()
    assert Client().get(f"/works/{work.pk}/").status_code == 404


def test_only_a_creator_can_delete_a_work(author):
    work = make_work(author)
    other = Client()
    other.force_login(make_user())
    assert other.post(f"/works/{work.pk}/delete").status_code == 404
    assert Work.objects.filter(pk=work.pk).exists()


# --- CSRF -----------------------------------------------------------------------------------


def test_posting_without_a_csrf_token_is_forbidden(author):
    client = Client(enforce_csrf_checks=True)
    client.force_login(author)
    before = counts()
    response = client.post("/works/new", work_data(author))
    assert response.status_code == 403
    assert counts() == before


def test_posting_with_the_csrf_token_from_the_form_works(author):
    client = Client(enforce_csrf_checks=True)
    client.force_login(author)
    token = form_values(client.get("/works/new"))["csrfmiddlewaretoken"][0]
    response = client.post("/works/new", {**work_data(author), "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Work.objects.count() == 1


@pytest.mark.parametrize(
    "page",
    [
        "/works/new",
        "/works/{work}/edit",
        "/works/{work}/delete",
        "/works/{work}/preview",
        "/works/{work}/chapters/new",
        "/works/{work}/chapters/{chapter}/edit",
        "/works/{work}/chapters/{chapter}/delete",
        "/works/{work}/chapters/order",
        "/series/new",
        "/series/{series}/edit",
        "/series/{series}/delete",
        "/account/preferences/",
        "/account/pseuds/new/",
        "/account/password/change/",
    ],
)
def test_every_form_page_carries_a_csrf_token(author, page):
    work = make_work(author, chapters=2, post=False, expected_chapters=None)
    series = make_series(author, works=[work])
    client = Client(enforce_csrf_checks=True)
    client.force_login(author)
    chapter = work.chapters.first()
    assert chapter is not None
    url = page.format(work=work.pk, chapter=chapter.pk, series=series.pk)
    response = client.get(url)
    assert response.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in response.content.decode()
    for form in re.findall(r'<form method="post".*?</form>', response.content.decode(), re.S):
        assert 'name="csrfmiddlewaretoken"' in form


def test_an_uploaded_files_text_survives_an_error_elsewhere(author_client, author):
    upload = SimpleUploadedFile("story.md", b"The *file's* story.")
    data = work_data(author, body="", upload=upload, title="")
    response = author_client.post("/works/new", data)
    assert response.status_code == 200
    assert not Work.objects.exists()
    assert "no need to attach the file again" in response.content.decode()
    kept = form_values(response)
    assert "file" in kept["body"][0] and "story" in kept["body"][0]
    resubmit = {name: values[0] for name, values in kept.items() if name != "pseuds"}
    resubmit.update(title="Now titled", pseuds=data["pseuds"], action="post")
    response = author_client.post("/works/new", resubmit)
    assert response.status_code == 302
    assert "<em>file" in Chapter.objects.get().body


def test_enter_without_an_action_saves_a_draft(author_client, author):
    data = {k: v for k, v in work_data(author).items() if k != "action"}
    author_client.post("/works/new", data)
    assert Work.objects.get().state == WorkState.DRAFT


def test_a_markdown_chapter_reopens_as_markdown(author_client, author):
    data = work_data(author, body="Some *stress*.", text_format="markdown", action="post")
    author_client.post("/works/new", data)
    chapter = Chapter.objects.get()
    response = author_client.get(f"/works/{chapter.work_id}/chapters/{chapter.pk}/edit")
    kept = form_values(response)
    assert kept["body"] == ["Some *stress*."]
    assert kept["text_format"] == ["markdown"]


def test_a_long_summary_is_refused_and_kept_whole(author_client, author):
    summary = "word " * 300
    response = author_client.post("/works/new", work_data(author, summary=summary))
    assert response.status_code == 200
    assert "1,250 characters" in response.content.decode()
    assert form_values(response)["summary"] == [summary]
    textarea = re.search(r"<textarea[^>]*id_summary[^>]*>", response.content.decode())
    assert textarea
    assert " maxlength=" not in textarea.group(0)


def test_after_saving_a_draft_the_page_lists_its_chapters_and_add_chapter(author_client, author):
    response = author_client.post("/works/new", work_data(author, action="draft"), follow=True)
    page = response.content.decode()
    assert "Chapters of this draft" in page
    assert "Add chapter" in page
