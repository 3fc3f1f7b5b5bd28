"""The writing forms in Chromium: the formatting toolbar writes markup of the
chosen text format into the chapter text box, the chapter page shows it, the
form still posts without JavaScript, a form that comes back with problems
puts the focus on its error summary, and limited boxes count characters."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from duster.tests.browser.conftest import SIZES
from duster.works.models import Chapter

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed").expect

pytestmark = pytest.mark.browser


@pytest.fixture
def open_page_without_js(chromium, live_server):
    """A desktop page, logged in as `user`, in a browser with JavaScript off."""
    contexts = []

    def open_page(user):
        context = chromium.new_context(
            base_url=live_server.url, java_script_enabled=False, **SIZES["desktop"]
        )
        contexts.append(context)
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def chapter_form(open_page, archive, size="desktop"):
    page = open_page(size, user=archive.author)
    page.goto(reverse("chapter_new", args=[archive.saga.pk]))
    return page


def type_and_select(page, text: str, selected: str):
    """Put `text` in the chapter text box and select the part `selected`."""
    box = page.locator("#id_body")
    box.fill(text)
    start = text.index(selected)
    box.evaluate("(box, [a, b]) => { box.focus(); box.setSelectionRange(a, b); }",
                 [start, start + len(selected)])  # fmt: skip
    return box


def toolbar(page):
    return page.get_by_role("toolbar", name="Formatting: Chapter text")


def press_and_follow(page, name: str):
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


def new_chapter(archive) -> Chapter:
    return archive.saga.chapters.order_by("-position").first()


def test_bold_wraps_the_selection_and_the_chapter_page_shows_it(open_page, archive):
    page = chapter_form(open_page, archive)
    box = type_and_select(page, "The lamps burned brave and low.", "brave")

    toolbar(page).get_by_role("button", name="Bold").click()

    assert box.input_value() == "The lamps burned <strong>brave</strong> and low."
    # The words stay selected, so a second press takes the bold away again.
    assert box.evaluate("b => b.value.slice(b.selectionStart, b.selectionEnd)") == "brave"
    press_and_follow(page, "Post chapter")
    chapter = new_chapter(archive)
    assert "<strong>brave</strong>" in chapter.body
    page.goto(chapter.get_absolute_url())
    expect(page.locator("strong", has_text="brave")).to_be_visible()


def test_pressing_bold_twice_takes_the_markup_away(open_page, archive):
    page = chapter_form(open_page, archive)
    box = type_and_select(page, "Quiet harbour.", "Quiet")
    bold = toolbar(page).get_by_role("button", name="Bold")
    bold.click()
    bold.click()
    assert box.input_value() == "Quiet harbour."


def test_every_button_writes_html_that_survives_onto_the_chapter_page(open_page, archive):
    page = chapter_form(open_page, archive)
    box = page.locator("#id_body")
    bar = toolbar(page)
    steps = [
        ("Ada's tower", "Heading"),
        ("first lamp\nsecond lamp", "Bulleted list"),
        ("one\ntwo", "Numbered list"),
        ("The sea was loud.", "Quote"),
        ("A quiet line.", "Centre"),
        ("Signed, Bea.", "Right"),
        ("at the harbour", "Italic"),
    ]
    for text, button in steps:
        box.press("Control+End")
        box.press_sequentially("\n" + text)
        end = box.evaluate("b => b.value.length")
        box.evaluate("(b, [a, z]) => b.setSelectionRange(a, z)", [end - len(text), end])
        bar.get_by_role("button", name=button, exact=True).click()
        box.press("Control+End")
    box.press_sequentially("\nthe map")
    end = box.evaluate("b => b.value.length")
    box.evaluate("(b, [a, z]) => b.setSelectionRange(a, z)", [end - 7, end])
    bar.get_by_role("button", name="Link").click()
    page.keyboard.type("https://example.org/map")  # the address is selected, ready to type
    box.press("Control+End")
    bar.get_by_role("button", name="Scene break").click()
    box.press_sequentially("After the break.")

    press_and_follow(page, "Post chapter")
    body = new_chapter(archive).body
    for markup in (
        "<h3>Ada's tower</h3>",
        "<li>first lamp</li>",
        "<ol>",
        "<blockquote>",
        '<p style="text-align:center">A quiet line.</p>',
        '<p style="text-align:right">Signed, Bea.</p>',
        "<em>at the harbour</em>",
        '<a href="https://example.org/map" rel="nofollow ugc">the map</a>',
        "<hr>",
    ):
        assert markup in body, f"{markup} missing from {body}"


def test_markdown_gets_markdown_syntax_and_keyboard_shortcuts(open_page, archive):
    page = chapter_form(open_page, archive)
    page.get_by_label("Text format").select_option("markdown")
    box = type_and_select(page, "Lamps and fog.", "fog")
    box.press("Control+b")
    assert box.input_value() == "Lamps and **fog**."
    box.press("Control+i")
    assert box.input_value() == "Lamps and ***fog***."
    box.press("Control+b")
    assert box.input_value() == "Lamps and *fog*."
    toolbar(page).get_by_role("button", name="Scene break").click()
    toolbar(page).get_by_role("button", name="Bulleted list").click()
    box.press_sequentially("a lamp")
    assert box.input_value() == "Lamps and *fog*.\n\n* * *\n\n- a lamp"
    press_and_follow(page, "Post chapter")
    body = new_chapter(archive).body
    assert "<em>fog</em>" in body and "<hr>" in body and "<li>a lamp</li>" in body


def test_plain_text_has_no_toolbar(open_page, archive):
    page = chapter_form(open_page, archive)
    expect(toolbar(page)).to_be_visible()
    page.get_by_label("Text format").select_option("text")
    expect(toolbar(page)).to_be_hidden()
    box = type_and_select(page, "Plain words.", "words")
    box.press("Control+b")
    assert box.input_value() == "Plain words."


def test_toolbar_is_one_tab_stop_of_labelled_buttons_moved_with_arrow_keys(open_page, archive):
    page = chapter_form(open_page, archive)
    buttons = toolbar(page).get_by_role("button")
    names = buttons.all_inner_texts()
    assert names[:4] == ["Bold", "Italic", "Heading", "Bulleted list"]
    for button in buttons.all():
        assert button.get_attribute("type") == "button"
        assert button.inner_text().strip()
    assert [b.get_attribute("tabindex") for b in buttons.all()].count("0") == 1
    buttons.first.focus()
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.textContent") == "Italic"
    page.keyboard.press("End")
    assert page.evaluate("document.activeElement.textContent") == names[-1]
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.textContent") == "Bold"


def test_without_javascript_there_is_no_toolbar_and_the_form_still_posts(
    open_page_without_js, archive
):
    page = open_page_without_js(archive.author)
    page.goto(reverse("chapter_new", args=[archive.saga.pk]))
    expect(page.get_by_role("toolbar")).to_have_count(0)
    expect(page.locator(".char-count")).to_have_count(0)
    page.locator("#id_body").fill("<p>Written with <em>no</em> scripts.</p>")
    press_and_follow(page, "Post chapter")
    assert "<em>no</em> scripts" in new_chapter(archive).body


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_a_form_with_problems_puts_the_focus_on_its_error_summary(open_page, archive, size):
    page = open_page(size, user=archive.author)
    page.goto(reverse("work_new"))
    press_and_follow(page, "Post")

    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    summary.get_by_role("link", name="Title: This field is required.").click()
    expect(page.locator("#id_title")).to_be_focused()
    summary.get_by_role("link", name="Choose at least one archive warning.", exact=False).click()
    expect(page.locator("#id_warnings_0")).to_be_focused()


def test_error_summary_takes_the_focus_without_javascript_too(open_page_without_js, archive):
    page = open_page_without_js(archive.author)
    page.goto(reverse("chapter_new", args=[archive.saga.pk]))
    press_and_follow(page, "Post chapter")
    expect(page.locator(".error-summary")).to_be_focused()


def test_limited_boxes_count_characters_as_the_server_does(open_page, archive):
    page = chapter_form(open_page, archive)
    summary = page.locator("#id_summary")
    count = page.locator("#id_summary_count")
    expect(count).to_have_text("1,250 characters left")
    # A line break goes to the server as two characters, an emoji as one.
    summary.fill("ab\ncd🌙")
    expect(count).to_have_text("1,243 characters left")
    summary.fill("x" * 1251)
    expect(count).to_have_text("1 character over the limit of 1,250")
    expect(count).to_have_class("char-count over")
    assert "id_summary_count" in (summary.get_attribute("aria-describedby") or "")
