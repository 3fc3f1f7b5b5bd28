"""Every form is drawn one way (duster/lib/templates/forms/field.html): a
label, help text and error tied to the input, the input marked invalid, and
an error summary at the top linking each problem to its field."""

import re
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from duster.testing.factories import make_user, make_work
from duster.works.models import Work
from duster.works.rules import SUMMARY_MAX

pytestmark = pytest.mark.django_db


class Element:
    def __init__(self, tag: str, attrs: dict[str, str]):
        self.tag = tag
        self.attrs = attrs
        self.text = ""
        self.children: list[Element] = []

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()

    def find_all(self, test) -> list["Element"]:
        found = [self] if test(self) else []
        for child in self.children:
            found += child.find_all(test)
        return found


class _Tree(HTMLParser):
    VOID = {"input", "br", "hr", "img", "meta", "link", "col", "source", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(element)
        if tag not in self.VOID:
            self.stack.append(element)

    def handle_endtag(self, tag):
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data):
        for element in self.stack[1:]:
            element.text += data


def page(response) -> Element:
    assert response.status_code == 200
    tree = _Tree()
    tree.feed(response.content.decode())
    return tree.root


def by_id(root: Element, id_: str) -> Element:
    found = root.find_all(lambda e: e.attrs.get("id") == id_)
    assert len(found) == 1, f"{len(found)} elements with id {id_!r}"
    return found[0]


def summary_of(root: Element) -> Element:
    found = root.find_all(lambda e: "error-summary" in e.classes)
    assert len(found) == 1, "no error summary (or more than one)"
    return found[0]


def work_data(user, **overrides) -> dict:
    data = {
        "title": "Lamplight",
        "pseuds": [user.default_pseud.pk],
        "rating": "general",
        "warnings": ["none"],
        "fandoms": "Lamplighter Chronicles",
        "language": "en",
        "comment_policy": "registered",
        "text_format": "html",
        "body": "<p>The lamps came on.</p>",
        "action": "post",
    }
    data.update(overrides)
    return data


@pytest.fixture
def author():
    return make_user("author")


@pytest.fixture
def author_client(client, author):
    client.force_login(author)
    return client


# --- Fields ---------------------------------------------------------------------------------


def test_every_help_text_is_tied_to_its_input_or_group(author_client):
    root = page(author_client.get(reverse("work_new")))
    helps = root.find_all(lambda e: "help" in e.classes)
    assert len(helps) >= 8
    for help_ in helps:
        help_id = help_.attrs["id"]
        described = root.find_all(
            lambda e, h=help_id: h in e.attrs.get("aria-describedby", "").split()
        )
        assert described, f"nothing points at {help_id}"
        assert described[0].tag in ("input", "select", "textarea", "fieldset")


def test_every_visible_field_has_a_label_or_a_legend(author_client):
    root = page(author_client.get(reverse("work_new")))
    fields = root.find_all(lambda e: "field" in e.classes)
    assert len(fields) >= 20
    for field in fields:
        labels = field.find_all(lambda e: e.tag in ("label", "legend"))
        assert labels and labels[0].text.strip(), field.attrs


def test_a_single_checkbox_sits_before_its_label(author_client):
    root = page(author_client.get(reverse("work_new")))
    check = by_id(root, "id_restricted")
    box = root.find_all(lambda e: "check" in e.classes and check in e.children)
    assert box, "the checkbox is not in its .check row"
    assert [e.tag for e in box[0].children] == ["input", "label"]
    assert box[0].children[1].attrs["for"] == "id_restricted"


def test_an_invalid_field_is_marked_with_its_error_beside_it(author_client, author):
    response = author_client.post(reverse("work_new"), work_data(author, title=""))
    root = page(response)
    title = by_id(root, "id_title")
    assert title.attrs["aria-invalid"] == "true"
    assert "id_title_error" in title.attrs["aria-describedby"].split()
    error = by_id(root, "id_title_error")
    assert error.tag == "p" and "error" in error.classes
    assert "This field is required." in error.text
    group = root.find_all(lambda e: "field" in e.classes and error in e.children)
    assert group and "invalid" in group[0].classes
    assert by_id(root, "id_fandoms").attrs.get("aria-invalid") is None


def test_a_checkbox_group_marks_every_box_and_describes_the_group(author_client, author):
    data = work_data(author)
    del data["warnings"]
    root = page(author_client.post(reverse("work_new"), data))
    boxes = root.find_all(lambda e: e.attrs.get("name") == "warnings")
    assert boxes and all(b.attrs.get("aria-invalid") == "true" for b in boxes)
    group = root.find_all(lambda e: e.tag == "fieldset" and "id_warnings_error" in str(e.attrs))
    assert group, "the fieldset does not point at the error"


# --- The error summary ----------------------------------------------------------------------


def test_a_fresh_form_has_no_error_summary(author_client):
    response = author_client.get(reverse("work_new"))
    assert "error-summary" not in response.content.decode()


def test_the_error_summary_links_each_problem_to_its_field_in_page_order(author_client, author):
    data = work_data(author, rating="", fandoms="", title="", body="")
    del data["warnings"]
    response = author_client.post(reverse("work_new"), data)
    assert not Work.objects.exists()
    root = page(response)
    summary = summary_of(root)
    assert summary.attrs["tabindex"] == "-1" and "autofocus" in summary.attrs
    heading = by_id(root, summary.attrs["aria-labelledby"])
    assert heading.tag == "h2" and heading.text == "There is a problem"
    links = summary.find_all(lambda e: e.tag == "a")
    targets = [link.attrs["href"] for link in links]
    assert targets == [
        "#id_rating",
        "#id_warnings_0",
        "#id_fandoms",
        "#id_title",
        "#id_body",
    ], targets
    for link in links:
        target = by_id(root, link.attrs["href"][1:])
        assert target.tag in ("input", "select", "textarea")
        assert target.attrs.get("aria-invalid") == "true"
    assert links[3].text == "Title: This field is required."


def test_a_problem_with_a_hidden_field_is_listed_without_a_link(author_client, author):
    work = make_work(author)
    chapter = work.chapters.get()
    url = reverse("chapter_edit", args=[work.pk, chapter.pk])
    data = {"title": "", "text_format": "html", "body": "<p>x</p>", "version": "many"}
    root = page(author_client.post(url, {**data, "action": "save"}))
    items = summary_of(root).find_all(lambda e: e.tag == "li")
    assert [i.text for i in items] == ["Version: Enter a whole number."]
    assert not summary_of(root).find_all(lambda e: e.tag == "a")


def test_a_form_wide_problem_heads_the_summary(client):
    make_user("ada")
    response = client.post(reverse("login"), {"username": "ada", "password": "wrong"})
    summary = summary_of(page(response))
    items = summary.find_all(lambda e: e.tag == "li")
    assert items and "don't match an account" in items[0].text
    assert "Check what you typed and try again." in summary.text


def test_account_forms_are_drawn_the_same_way(client):
    root = page(client.post(reverse("signup"), {"username": "", "email": "not an address"}))
    username = by_id(root, "id_username")
    assert username.attrs["aria-invalid"] == "true"
    assert by_id(root, "id_username_error").tag == "p"
    links = [a.attrs["href"] for a in summary_of(root).find_all(lambda e: e.tag == "a")]
    assert "#id_username" in links and "#id_email" in links


# --- Writing --------------------------------------------------------------------------------


@pytest.mark.parametrize("url_name", ["work_new", "chapter_new"])
def test_the_chapter_text_box_is_large_and_gets_the_toolbar(author_client, author, url_name):
    args = [make_work(author).pk] if url_name == "chapter_new" else []
    response = author_client.get(reverse(url_name, args=args))
    body = by_id(page(response), "id_body")
    assert body.tag == "textarea"
    assert "chapter-text" in body.classes and "data-editor" in body.attrs
    assert int(body.attrs["rows"]) >= 20
    html = response.content.decode()
    # Plain or hashed names (after `make run` collected the static files).
    assert re.search(r"duster/editor(\.\w+)?\.js", html)
    assert re.search(r"duster/counter(\.\w+)?\.js", html)


def test_an_uploaded_files_name_is_text_not_markup_in_the_help(author_client, author):
    upload = SimpleUploadedFile('<img src="x">story.md', b"The *file's* story.")
    data = work_data(author, body="", upload=upload, title="")
    response = author_client.post(reverse("work_new"), data)
    html = response.content.decode()
    assert "no need to attach the file again" in html
    assert "“&lt;img src=&quot;x&quot;&gt;story.md”" in html
    assert '<img src="x">' not in html


def test_the_server_counts_a_line_break_as_two_characters_as_the_counter_does(
    author_client, author
):
    # Browsers send a line break in a text box as CR LF; counter.js counts it as two.
    fits = "x" * (SUMMARY_MAX - 3) + "\r\ny"
    too_long = "x" * (SUMMARY_MAX - 2) + "\r\ny"
    response = author_client.post(reverse("work_new"), work_data(author, summary=too_long))
    assert response.status_code == 200 and not Work.objects.exists()
    response = author_client.post(reverse("work_new"), work_data(author, summary=fits))
    assert response.status_code == 302
