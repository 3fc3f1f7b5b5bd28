"""How the reading pages are laid out: the work's preface in full on its first
page and a compact header on later chapters, the chapter menu that works
without JavaScript, notes in boxes, scene breaks, navigation at the top and
the bottom, the chapter index, and the reader's "entire work" default."""

import re
from html import unescape

import pytest
from django.template import engines
from django.test import Client

from duster.lib.reader import COOKIE_NAME
from duster.testing.factories import make_series, make_user, make_work
from duster.works.services.chapters import chapter_create

pytestmark = pytest.mark.django_db


def words(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def between(html: str, start: str, end: str) -> str:
    found = re.search(re.escape(start) + r".*?" + re.escape(end), html, re.S)
    assert found, f"no {start!r} … {end!r} in the page"
    return found.group(0)


@pytest.fixture
def saga(author):
    """Three chapters, the second with its own summary and notes, the work with
    a summary, notes and end notes; in a series between two other works."""
    work = make_work(
        author,
        title="The Long Road",
        expected_chapters=None,
        freeforms=["Slow Burn"],
        summary="<p>A summary of the road.</p>",
        notes="<p>Beginning notes.</p>",
        end_notes="<p>Thanks for reading.</p>",
    )
    chapter_create(
        work=work,
        fields={
            "title": "The Harbour",
            "summary": "<p>Fog comes in.</p>",
            "notes": "<p>A short one.</p>",
            "end_notes": "<p>More soon.</p>",
            "body": "<p>The fog rolled in.</p><p>* * *</p><p>Later, the lamps.</p><hr><p>Dawn.</p>",
        },
    )
    chapter_create(work=work, fields={"body": "<p>The end.</p>"})
    before = make_work(author, title="The Road Before")
    after = make_work(author, title="The Road After")
    make_series(author, works=[before, work, after], title="Roads")
    return work


# What the work's preface shows: metadata, tags, summary and notes.
PREFACE = ("Rating: General Audiences", "Slow Burn", "A summary of the road.", "Beginning notes.")


def chapter(work, position: int):
    return work.chapters.get(position=position)


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


# --- The preface and the compact header ------------------------------------------------------


def test_first_page_shows_the_whole_preface_with_the_metadata_open(client, saga):
    html = page(client, saga.get_absolute_url())
    preface = between(html, '<header class="preface group">', "</header>")
    assert '<h1 class="title heading" id="work-title">The Long Road</h1>' in preface
    assert '<details class="work-meta" open>' in preface
    for shown in PREFACE:
        assert shown in words(preface)
    assert "Part 2 of Roads" in words(preface)


def test_entire_work_shows_the_whole_preface_once(client, saga):
    html = page(client, saga.get_absolute_url() + "?view_full_work=true")
    assert '<details class="work-meta" open>' in html
    assert html.count("A summary of the road.") == 1
    assert 'class="preface compact' not in html


def test_later_chapters_get_a_compact_header_with_the_work_one_tap_away(client, saga):
    html = page(client, chapter(saga, 2).get_absolute_url())
    header = between(html, '<header class="preface compact group">', "</header>")
    assert f'<a href="{saga.get_absolute_url()}">The Long Road</a>' in header
    assert 'rel="author"' in header
    # The work's metadata, summary and notes are there, folded away.
    about = between(header, '<details class="work-about">', "</details>")
    for folded in PREFACE:
        assert folded in words(about)
    assert '<details class="work-about" open' not in html
    assert "Chapter 2 of ?" in words(html)
    # The chapter's own summary and notes are shown.
    text = words(between(html, '<div id="chapters">', "</article>"))
    for shown in ("Fog comes in.", "A short one.", "The fog rolled in.", "More soon."):
        assert shown in text
    assert "A summary of the road." not in text


def test_chapter_x_of_y_names_the_planned_number(client, author):
    work = make_work(author, chapters=2, expected_chapters=5)
    html = page(client, chapter(work, 2).get_absolute_url())
    assert "Chapter 2 of 5" in words(html)


def test_the_last_chapter_shows_the_work_end_notes_and_the_series_below(client, saga):
    html = page(client, chapter(saga, 3).get_absolute_url())
    assert 'id="work_endnotes"' in html and "Thanks for reading." in html
    below = html[html.index("</article>") :]
    assert "Part 2 of Roads" in words(below)
    assert "Next work →" in below and "← Previous work" in below


def test_middle_chapters_show_no_series_navigation(client, saga):
    html = page(client, chapter(saga, 2).get_absolute_url())
    assert 'class="series-nav"' not in html


def test_series_navigation_at_the_top_and_bottom_of_the_entire_work(client, saga):
    html = page(client, saga.get_absolute_url() + "?view_full_work=true")
    assert html.count('class="series-nav"') == 2
    assert 'aria-label="Series: Roads"' in html
    assert 'aria-label="Series: Roads, again"' in html


def test_a_one_chapter_work_has_its_preface_top_link_and_no_chapter_menu(client, author):
    work = make_work(author, title="One Shot")
    html = page(client, work.get_absolute_url())
    assert '<details class="work-meta" open>' in html
    assert 'class="chapter-jump"' not in html
    assert "view_full_work=" not in html  # no "Entire work" or "Chapter by chapter" link
    assert '<a href="#main">↑ Top</a>' in html


# --- Navigation ------------------------------------------------------------------------------


def test_previous_and_next_are_at_the_top_and_the_bottom(client, saga):
    first, second, third = (chapter(saga, n).get_absolute_url() for n in (1, 2, 3))
    html = page(client, second)
    article = html.index("<article")
    end = html.index("</article>")
    for link in (f'<a rel="prev" href="{first}">', f'<a rel="next" href="{third}">'):
        assert html.count(link) == 2
        assert article < html.index(link) < html.index('<div id="chapters">')
        assert html.rindex(link) > end
    assert '<a href="#main">↑ Top</a>' in html[end:]


def test_the_chapter_menu_lists_each_chapter_once_with_this_one_chosen(client, saga):
    second = chapter(saga, 2)
    html = page(client, second.get_absolute_url())
    form = between(html, '<form class="chapter-jump"', "</form>")
    assert 'method="get"' in form
    assert f'action="/works/{saga.pk}/navigate"' in form
    assert 'name="csrfmiddlewaretoken"' not in form
    options = re.findall(r'<option value="(\d+)"( selected)?>([^<]*)</option>', form)
    assert [(int(pk), bool(selected), label) for pk, selected, label in options] == [
        (chapter(saga, 1).pk, False, "Chapter 1"),
        (second.pk, True, "2. The Harbour"),
        (chapter(saga, 3).pk, False, "Chapter 3"),
    ]
    assert (
        'for="chapter-jump">Go to chapter</label>' in form
        and '<button type="submit">Go</button>' in form
    )


def test_go_takes_the_reader_to_the_chosen_chapter(client, saga):
    third = chapter(saga, 3)
    response = client.get(f"/works/{saga.pk}/navigate", {"chapter": third.pk})
    assert response.status_code == 302
    assert response["Location"] == third.get_absolute_url()


@pytest.mark.parametrize("value", ["", "abc", "-1", "²", "9" * 30, "0"])
def test_a_bad_chapter_choice_shows_the_chapter_index(client, saga, value):
    response = client.get(f"/works/{saga.pk}/navigate", {"chapter": value})
    assert response.status_code == 200
    assert "Chapter index" in words(response.content.decode())


def test_go_never_reaches_a_chapter_the_reader_may_not_see(client, author, saga):
    other = make_work(author, chapters=2, expected_chapters=None)
    unposted = chapter_create(work=saga, fields={"body": "<p>Not yet.</p>"}, post=False)
    for pk in (chapter(other, 2).pk, unposted.pk):
        response = client.get(f"/works/{saga.pk}/navigate", {"chapter": pk})
        assert response.status_code == 200
        assert "Not yet." not in response.content.decode()
    owner = Client()
    owner.force_login(author)
    response = owner.get(f"/works/{saga.pk}/navigate", {"chapter": unposted.pk})
    assert response["Location"] == unposted.get_absolute_url()


def test_the_chapter_index_names_each_chapter_once_with_its_date(client, saga):
    html = page(client, f"/works/{saga.pk}/navigate")
    index = words(between(html, '<ol class="chapter index">', "</ol>"))
    second = chapter(saga, 2)
    assert "2. The Harbour" in index
    assert "Chapter 2: The Harbour" not in index
    assert "Chapter 1" in index and "Chapter 3" in index
    assert f"{second.published_at:%-d %b %Y}" in index
    assert f'<time datetime="{second.published_at:%Y-%m-%dT%H:%M:%S}' in html


# --- Notes and scene breaks ------------------------------------------------------------------


def test_chapter_notes_are_boxes_with_headings_apart_from_the_text(client, saga):
    html = page(client, chapter(saga, 2).get_absolute_url())
    for heading, note in (
        ("Chapter summary", "Fog comes in."),
        ("Chapter notes", "A short one."),
        ("Chapter end notes", "More soon."),
    ):
        box = re.search(
            r'<section class="[^"]*notes-box[^"]*" aria-labelledby="([^"]+)">'
            r'<h3 class="heading" id="\1">' + heading + r"</h3>.*?</section>",
            html,
            re.S,
        )
        assert box, heading
        assert note in box.group(0)
        assert "The fog rolled in." not in box.group(0)


def test_scene_breaks_in_the_text_are_marked(client, saga):
    html = page(client, chapter(saga, 2).get_absolute_url())
    assert '<p class="scene-break">* * *</p>' in html
    assert "<hr>" in html


def render(source: str, **context) -> str:
    return engines["django"].from_string("{% load scene_breaks %}" + source).render(context)


@pytest.mark.parametrize(
    "paragraph",
    [
        "<p>* * *</p>",
        "<p>***</p>",
        "<p>~o~</p>",
        "<p>&lt;&gt;&lt;&gt;&lt;&gt;</p>",
        '<p style="text-align:center">* * *</p>',
        '<p align="center"><strong>~*~*~</strong></p>',
        "<p>&nbsp;* * *&nbsp;</p>",
        "<p>oOo</p>",
    ],
)
def test_paragraphs_of_only_break_marks_are_scene_breaks(paragraph):
    html = render("{{ body|safe|mark_scene_breaks }}", body=f"<p>Before.</p>{paragraph}")
    assert html.startswith('<p>Before.</p><p class="scene-break"')
    assert html.count("scene-break") == 1


@pytest.mark.parametrize(
    "paragraph",
    ["<p>Oh.</p>", "<p>* * * and then</p>", "<p>xoxo</p>", "<p></p>", "<p>--</p>", "<p>ooh</p>"],
)
def test_ordinary_paragraphs_are_left_alone(paragraph):
    html = render("{{ body|safe|mark_scene_breaks }}", body=paragraph)
    assert html == paragraph


def test_unsafe_text_stays_escaped():
    html = render("{{ body|mark_scene_breaks }}", body="<p>* * *</p><script>x</script>")
    assert "<p" not in html and "<script>" not in html
    assert "&lt;script&gt;" in html


# --- The reader's "entire work" default ------------------------------------------------------


def test_a_guest_who_chose_the_entire_work_gets_it_by_default(saga):
    guest = Client()
    guest.cookies[COOKIE_NAME] = "work:1"
    html = page(guest, saga.get_absolute_url())
    for text in ("The first chapter", "The fog rolled in.", "The end."):
        assert text in html
    back = f'<a href="{saga.get_absolute_url()}?view_full_work=false">Chapter by chapter</a>'
    assert back in html
    one = page(guest, saga.get_absolute_url() + "?view_full_work=false")
    assert "The first chapter" in one and "The fog rolled in." not in one
    assert "Entire work" in one
    # A chapter's own page is always that chapter.
    assert "The first chapter" not in page(guest, chapter(saga, 2).get_absolute_url())


def test_without_the_setting_a_work_is_read_chapter_by_chapter(client, saga):
    html = page(client, saga.get_absolute_url())
    assert "The first chapter" in html and "The fog rolled in." not in html


def test_a_member_gets_the_view_their_preferences_name(saga):
    reader = make_user("reader")
    reader.reader_full_work = True
    reader.save(update_fields=["reader_full_work"])
    member = Client()
    member.force_login(reader)
    assert "The fog rolled in." in page(member, saga.get_absolute_url())
    assert "The fog rolled in." not in page(
        member, saga.get_absolute_url() + "?view_full_work=false"
    )


def test_the_adult_notice_keeps_the_chapter_by_chapter_choice(client, author):
    work = make_work(author, rating="mature", chapters=2, expected_chapters=None)
    html = page(client, work.get_absolute_url() + "?view_full_work=false")
    assert '<input type="hidden" name="view_full_work" value="false">' in html
    response = client.post(f"/works/{work.pk}/view_adult", {"view_full_work": "false"})
    assert response["Location"] == work.get_absolute_url() + "?view_full_work=false"
    response = client.post(f"/works/{work.pk}/view_adult", {"view_full_work": "maybe"})
    assert response["Location"] == work.get_absolute_url()


# --- Reader settings on the page -------------------------------------------------------------


def test_reading_pages_carry_the_reader_settings_and_nothing_per_visitor(client, saga):
    for url in (
        saga.get_absolute_url(),
        chapter(saga, 2).get_absolute_url(),
        saga.get_absolute_url() + "?view_full_work=true",
    ):
        html = page(client, url)
        panel = between(html, '<details class="panel reader-panel">', "</details>")
        assert "<summary>Reader settings</summary>" in panel
        assert 'method="get"' in panel and 'action="/reader"' in panel
        # A guest's page can be cached whole: no token, nothing of this visitor.
        assert "csrfmiddlewaretoken" not in html


def test_a_work_without_posted_chapters_still_shows_its_preface(author):
    work = make_work(author, title="Coming Soon")
    work.chapters.update(posted=False)
    html = page(Client(), work.get_absolute_url())
    assert '<h1 class="title heading" id="work-title">Coming Soon</h1>' in html
    assert "This work has no posted chapters yet." in html


def test_the_story_is_marked_with_the_works_language(client, author):
    work = make_work(author, language="de", notes="<p>Hallo.</p>")
    html = page(client, work.get_absolute_url())
    assert re.search(r'<section class="chapter" id="chapter-1" lang="de"', html)
    assert '<blockquote class="userstuff" lang="de"><p>Hallo.</p>' in html
