"""Reading pages and lists as readers see them: chapters, the entire work, the
chapter index, notes, status, the adult notice, hits, restricted works, the
latest works, creator pages and tag pages, and what each blurb shows."""

import datetime as dt
import re
from html import unescape

import pytest
from django.test import Client
from django.utils import timezone

from duster.tags.models import Tag
from duster.testing.factories import make_series, make_user, make_work
from duster.works.models import Work
from duster.works.services.chapters import chapter_create
from duster.works.services.works import work_update

pytestmark = pytest.mark.django_db


def text(response) -> str:
    """The page as words, tags removed and white space folded."""
    html = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(unescape(html).split())


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def reader():
    return make_user("reader")


@pytest.fixture
def serial(author):
    """A three-chapter work in progress with work and chapter notes."""
    work = make_work(
        author,
        title="The Long Road",
        chapters=3,
        expected_chapters=None,
        summary="<p>A summary of the road.</p>",
        notes="<p>Beginning notes.</p>",
        end_notes="<p>Thanks for reading.</p>",
    )
    return work


def chapter_urls(work) -> list[str]:
    return [c.get_absolute_url() for c in work.chapters.order_by("position")]


# --- Reading a multi-chapter work -----------------------------------------------------------


def test_work_page_shows_the_first_chapter_with_a_next_link(client, serial):
    first, second, third = chapter_urls(serial)
    response = client.get(serial.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert "The first chapter, in a few words." in html
    assert "Chapter 2 text goes here." not in html
    assert f'<a rel="next" href="{second}">Next chapter →</a>' in html
    assert 'rel="prev"' not in html
    assert f'href="/works/{serial.pk}/?view_full_work=true"' in html
    assert f'href="/works/{serial.pk}/navigate"' in html


def test_chapter_page_shows_that_chapter_with_previous_and_next(client, serial):
    first, second, third = chapter_urls(serial)
    html = client.get(second).content.decode()
    assert "Chapter 2 text goes here." in html
    assert "The first chapter, in a few words." not in html
    assert f'<a rel="prev" href="{first}">← Previous chapter</a>' in html
    assert f'<a rel="next" href="{third}">Next chapter →</a>' in html
    last = client.get(third).content.decode()
    assert f'<a rel="prev" href="{second}">' in last
    assert "Next chapter →" not in last


def test_entire_work_shows_every_chapter(client, serial):
    html = client.get(serial.get_absolute_url() + "?view_full_work=true").content.decode()
    for text_ in ("The first chapter", "Chapter 2 text", "Chapter 3 text", "Thanks for reading."):
        assert text_ in html
    assert "Next chapter →" not in html
    assert "Chapter by chapter" in html


def test_chapter_index_lists_every_chapter(client, serial):
    response = client.get(f"/works/{serial.pk}/navigate")
    assert response.status_code == 200
    html = response.content.decode()
    positions = [html.index(f'href="{url}"') for url in chapter_urls(serial)]
    assert positions == sorted(positions)
    assert "Chapter 1" in html and "Chapter 3" in html


def test_chapter_of_a_one_chapter_work_redirects_to_the_work(client, author):
    work = make_work(author)
    response = client.get(work.chapters.get().get_absolute_url() + "?view_adult=true")
    assert response.status_code == 302
    assert response["Location"] == work.get_absolute_url() + "?view_adult=true"


def test_a_chapter_under_the_wrong_work_is_not_found(client, author, serial):
    other = make_work(author)
    chapter = serial.chapters.get(position=2)
    assert client.get(f"/works/{other.pk}/chapters/{chapter.pk}/").status_code == 404
    assert client.get(f"/works/{serial.pk}/chapters/999999/").status_code == 404
    assert client.get("/works/999999/").status_code == 404


def test_notes_summary_and_text_are_separate_named_elements(client, serial):
    html = client.get(serial.get_absolute_url()).content.decode()
    assert re.search(r'<section class="summary module[^>]*>.*A summary of the road', html, re.S)
    assert re.search(r'<section class="notes module[^>]*>.*Beginning notes', html, re.S)
    assert re.search(r'<div class="userstuff module">\s*<p>The first chapter', html)
    assert 'class="userstuff"' in html


def test_end_notes_are_announced_and_linked_from_the_start(client, serial):
    first, _second, third = chapter_urls(serial)
    page = client.get(serial.get_absolute_url())
    assert "See the end of the work for more notes" in text(page)
    # On chapter 1 the end notes are on the last chapter's page.
    assert f'<a href="{third}#work_endnotes">more notes</a>' in page.content.decode()
    assert "Thanks for reading." not in page.content.decode()
    last = client.get(third).content.decode()
    assert 'id="work_endnotes"' in last and "Thanks for reading." in last
    full = client.get(serial.get_absolute_url() + "?view_full_work=true").content.decode()
    assert '<a href="#work_endnotes">more notes</a>' in full


def test_no_end_notes_means_no_pointer_to_them(client, author):
    work = make_work(author, notes="<p>Only beginning notes.</p>")
    assert "See the end of the work" not in text(client.get(work.get_absolute_url()))


def test_status_shows_chapters_so_far_and_words(client, serial):
    page = text(client.get(serial.get_absolute_url()))
    assert "Chapters: 3/?" in page
    assert f"Words: {serial.word_count}" in page
    assert serial.word_count == 7 + 5 + 5


def test_planned_chapters_show_as_x_of_y(client, author):
    work = make_work(author, chapters=2, expected_chapters=5)
    assert "Chapters: 2/5" in text(client.get(work.get_absolute_url()))


def test_metadata_block_shows_the_tags_and_dates(client, author):
    work = make_work(
        author,
        relationships=["Ada/Bram"],
        characters=["Ada"],
        freeforms=["Fluff"],
        categories=["ff", "gen"],
        language="de",
    )
    page = text(client.get(work.get_absolute_url()))
    for expected in (
        "Rating: General Audiences",
        "Archive Warnings: No Archive Warnings Apply",
        "Categories: F/F Gen",
        "Fandoms: Lamplighter Chronicles",
        "Relationships: Ada/Bram",
        "Characters: Ada",
        "Additional Tags: Fluff",
        "Language: German",
        f"Published: {work.published_at:%Y-%m-%d}",
        f"Completed: {work.completed_at:%Y-%m-%d}",
        "Hits:",
    ):
        assert expected in page


# --- Adult notice ---------------------------------------------------------------------------


def continue_form(html: str) -> str:
    """The notice's "Yes, continue" form."""
    form = re.search(r'<form method="post" action="[^"]*view_adult".*?</form>', html, re.S)
    assert form
    return form.group(0)


@pytest.mark.parametrize("rating", ["mature", "explicit", "not_rated"])
def test_adult_works_show_a_notice_first(client, author, rating):
    work = make_work(author, rating=rating, title="Grown Up")
    response = client.get(work.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert "This work could have adult content" in html
    assert "The first chapter" not in html
    form = continue_form(html)
    assert f'action="/works/{work.pk}/view_adult"' in form
    assert 'name="csrfmiddlewaretoken"' in form
    assert '<button type="submit">Yes, continue</button>' in form
    assert "view_adult=true" not in html


@pytest.mark.parametrize("rating", ["general", "teen"])
def test_general_and_teen_works_show_no_notice(client, author, rating):
    work = make_work(author, rating=rating)
    html = client.get(work.get_absolute_url()).content.decode()
    assert "adult content" not in html
    assert "The first chapter" in html


def test_proceeding_shows_the_work_and_the_session_remembers(client, author):
    work = make_work(author, rating="explicit")
    other = make_work(author, rating="mature")
    response = client.post(f"/works/{work.pk}/view_adult")
    assert response.status_code == 302
    assert response["Location"] == work.get_absolute_url()
    assert "The first chapter" in client.get(work.get_absolute_url()).content.decode()
    assert "The first chapter" in client.get(other.get_absolute_url()).content.decode()
    assert "adult content" in Client().get(work.get_absolute_url()).content.decode()


def test_proceeding_needs_the_csrf_token(author):
    work = make_work(author, rating="explicit")
    guest = Client(enforce_csrf_checks=True)
    assert guest.post(f"/works/{work.pk}/view_adult").status_code == 403
    assert "adult content" in guest.get(work.get_absolute_url()).content.decode()


def test_proceeding_is_a_post_and_only_for_works_the_reader_may_see(client, author):
    work = make_work(author, rating="explicit")
    secret = make_work(author, rating="explicit", restricted=True)
    assert client.get(f"/works/{work.pk}/view_adult").status_code == 405
    assert client.post(f"/works/{secret.pk}/view_adult").status_code == 404
    assert "view_adult" not in client.session


@pytest.mark.parametrize("who", ["guest", "reader"])
def test_a_get_with_view_adult_changes_nothing(author, reader, who):
    """A stored <img src="/works/N/?view_adult=true"> must not turn the notice off."""
    work = make_work(author, rating="explicit")
    client = Client() if who == "guest" else logged_in(reader)
    for url in (work.get_absolute_url(), f"/works/{work.pk}/?view_full_work=true&view_adult=true"):
        html = client.get(url + ("" if "?" in url else "?view_adult=true")).content.decode()
        assert "This work could have adult content" in html
        assert "The first chapter" not in html
    assert "view_adult" not in client.session
    reader.refresh_from_db()
    assert not reader.view_adult
    assert "adult content" in client.get(work.get_absolute_url()).content.decode()


def test_notice_form_keeps_the_chapter_and_full_work_view(client, author, serial):
    work_update(
        work=serial,
        fields={"rating": "mature"},
        tags={"fandoms": ["Lamplighter Chronicles"]},
    )
    chapter = serial.chapters.get(position=2)
    form = continue_form(client.get(chapter.get_absolute_url()).content.decode())
    assert f'<input type="hidden" name="chapter" value="{chapter.pk}">' in form
    assert "view_full_work" not in form
    response = client.post(f"/works/{serial.pk}/view_adult", {"chapter": chapter.pk})
    assert response["Location"] == chapter.get_absolute_url()

    fresh = Client()
    full = serial.get_absolute_url() + "?view_full_work=true"
    form = continue_form(fresh.get(full).content.decode())
    assert '<input type="hidden" name="view_full_work" value="true">' in form
    assert 'name="chapter"' not in form
    response = fresh.post(f"/works/{serial.pk}/view_adult", {"view_full_work": "true"})
    assert response["Location"] == full
    assert "Chapter 2 text goes here." in fresh.get(full).content.decode()


@pytest.mark.parametrize("chapter", ["", "abc", "²", "9" * 30, "-1"])
def test_a_bad_chapter_in_the_notice_form_goes_to_the_work(client, author, chapter):
    work = make_work(author, rating="explicit")
    response = client.post(f"/works/{work.pk}/view_adult", {"chapter": chapter})
    assert response.status_code == 302
    assert response["Location"] == work.get_absolute_url()


def test_proceeding_leaves_the_saved_preference_alone(author, reader):
    work = make_work(author, rating="explicit")
    client = logged_in(reader)
    html = client.get(work.get_absolute_url()).content.decode()
    assert "adult content" in html
    assert 'href="/account/preferences/"' in html
    client.post(f"/works/{work.pk}/view_adult")
    assert "The first chapter" in client.get(work.get_absolute_url()).content.decode()
    reader.refresh_from_db()
    assert not reader.view_adult
    fresh_session = logged_in(reader)
    assert "adult content" in fresh_session.get(work.get_absolute_url()).content.decode()


def test_a_reader_whose_preferences_skip_the_notice_is_not_asked(author, reader):
    reader.view_adult = True
    reader.save(update_fields=["view_adult"])
    work = make_work(author, rating="explicit")
    assert "The first chapter" in logged_in(reader).get(work.get_absolute_url()).content.decode()


def test_creator_is_not_asked_about_their_own_work(author):
    work = make_work(author, rating="explicit")
    assert "The first chapter" in logged_in(author).get(work.get_absolute_url()).content.decode()


# --- Hits -----------------------------------------------------------------------------------


def hits(work) -> int:
    return Work.objects.get(pk=work.pk).hits


def test_hits_count_once_per_visitor_per_day(author, reader, monkeypatch):
    work = make_work(author, chapters=2, expected_chapters=None)
    guest = Client()
    for _ in range(3):
        guest.get(work.get_absolute_url())
    guest.get(work.chapters.get(position=2).get_absolute_url())
    assert hits(work) == 1

    Client(REMOTE_ADDR="192.0.2.7").get(work.get_absolute_url())
    assert hits(work) == 2
    member = logged_in(reader)
    member.get(work.get_absolute_url())
    member.get(work.get_absolute_url())
    assert hits(work) == 3

    tomorrow = timezone.now() + dt.timedelta(days=1)
    monkeypatch.setattr(timezone, "now", lambda: tomorrow)
    guest.get(work.get_absolute_url())
    assert hits(work) == 4


def test_creator_views_and_the_adult_notice_count_no_hits(author):
    work = make_work(author, rating="mature")
    logged_in(author).get(work.get_absolute_url())
    Client().get(work.get_absolute_url())
    assert hits(work) == 0


# --- Restricted works and drafts ------------------------------------------------------------


def test_restricted_work_is_hidden_from_guests_everywhere(client, author):
    make_work(author, title="Open Story", relationships=["Ada/Bram"])
    secret = make_work(
        author,
        title="Members Only Story",
        restricted=True,
        chapters=2,
        expected_chapters=None,
        relationships=["Ada/Bram"],
    )
    fandom = Tag.objects.get(name="Lamplighter Chronicles")
    assert client.get(secret.get_absolute_url()).status_code == 404
    assert client.get(secret.chapters.get(position=2).get_absolute_url()).status_code == 404
    assert client.get(f"/works/{secret.pk}/navigate").status_code == 404
    for url in (
        "/",
        "/works/",
        "/users/author/",
        "/users/author/works",
        f"/users/author/works?fandom={fandom.slug}",
        f"/tags/{fandom.slug}/",
        f"/tags/{fandom.slug}/works",
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        assert "Members Only Story" not in page.content.decode(), url
        assert "Open Story" in page.content.decode(), url
        assert "2 works" not in text(page), url
    make_series(author, works=[secret, Work.objects.get(title="Open Story")], title="Mixed")
    assert "Mixed (1 work)" in text(client.get("/users/author/"))
    assert "1 work · In progress" in text(client.get("/users/author/series"))
    series_page = client.get(f"/series/{secret.series_entries.get().series_id}/")
    assert "Members Only Story" not in series_page.content.decode()
    assert "Works: 1" in text(series_page)
    assert "Lamplighter Chronicles (1)" in text(client.get("/"))
    assert "1 work" in text(client.get("/works/"))
    assert "All 1 work" in text(client.get("/users/author/"))
    assert "Ada/Bram (1)" in text(client.get("/users/author/works"))


def test_restricted_work_is_shown_to_logged_in_readers(author, reader):
    make_work(author, title="Open Story")
    secret = make_work(author, title="Members Only Story", restricted=True)
    fandom = Tag.objects.get(name="Lamplighter Chronicles")
    client = logged_in(reader)
    assert client.get(secret.get_absolute_url()).status_code == 200
    for url in ("/works/", "/users/author/", "/users/author/works", f"/tags/{fandom.slug}/works"):
        page = client.get(url)
        assert "Members Only Story" in page.content.decode(), url
    assert "2 works" in text(client.get("/works/"))


def test_drafts_and_anonymous_works_stay_off_other_peoples_lists(client, author, reader):
    make_work(author, title="Still A Draft", post=False)
    make_work(author, title="Nobody Knows", anonymous=True)
    for url in ("/works/", "/users/author/", "/users/author/works"):
        for viewer in (client, logged_in(reader)):
            assert "Still A Draft" not in viewer.get(url).content.decode(), url
    assert "Nobody Knows" in client.get("/works/").content.decode()
    assert "Nobody Knows" not in client.get("/users/author/works").content.decode()
    own = logged_in(author).get("/users/author/works").content.decode()
    # The creator's own drafts are listed on their user page, not among their works.
    assert "Still A Draft" not in own and "Nobody Knows" in own


# --- Lists ----------------------------------------------------------------------------------


def test_latest_works_are_paginated(client, author):
    for number in range(21):
        make_work(author, title=f"Numbered {number:02}")
    first = client.get("/works/")
    assert first.status_code == 200
    assert first.content.decode().count('class="work blurb group"') == 20
    assert "Numbered 20" in first.content.decode()  # newest first
    assert "Page 1 of 2" in text(first)
    second = client.get("/works/?page=2")
    assert second.content.decode().count('class="work blurb group"') == 1
    assert "Numbered 00" in second.content.decode()
    assert '<a href="/works/" rel="prev">' in second.content.decode()
    for page in ("999", "abc", "-1", "0", ""):
        response = client.get(f"/works/?page={page}", follow=True)
        assert response.status_code == 200, page
    assert "Numbered 00" in client.get("/works/?page=999").content.decode()
    assert "Numbered 20" in client.get("/works/?page=abc").content.decode()


def test_empty_archive_lists_render(client):
    for url in ("/", "/works/", "/works/?page=3"):
        assert client.get(url).status_code == 200


def test_user_page_lists_pseuds_works_and_series(client, author):
    from duster.accounts.models import Pseud

    Pseud.objects.create(user=author, name="Night Owl")
    work = make_work(author, title="Owl Story")
    make_series(author, works=[work], title="Owl Series")
    response = client.get("/users/author/")
    assert response.status_code == 200
    page = text(response)
    assert "Night Owl" in page and "author (default)" in page
    assert "Owl Story" in page
    assert "Owl Series (1 work)" in page
    series_page = client.get("/users/author/series")
    assert series_page.status_code == 200
    assert "Owl Series" in series_page.content.decode()


def test_the_owner_sees_their_drafts_with_their_last_saved_time(author):
    older = make_work(author, title="Older Draft", post=False)
    newer = make_work(author, title="Newer Draft", post=False)
    Work.objects.filter(pk=older.pk).update(modified_at=timezone.now() - dt.timedelta(days=3))
    make_work(author, title="Out In The World")
    response = logged_in(author).get("/users/author/")
    html = response.content.decode()
    section = re.search(r'<section class="drafts".*?</section>', html, re.S)
    assert section
    drafts = section.group(0)
    assert '<h2 id="drafts-heading">Drafts</h2>' in drafts
    assert drafts.index("Newer Draft") < drafts.index("Older Draft")
    assert f'<a href="/works/{newer.pk}/">Newer Draft</a>' in drafts
    assert f'<a href="/works/{older.pk}/">Older Draft</a>' in drafts
    newer.refresh_from_db()
    saved = timezone.localtime(newer.modified_at)
    assert f'<time datetime="{saved:%Y-%m-%dT%H:%M:%S}' in drafts
    assert f"last saved {saved:%-d %b %Y, %H:%M}" in text(response)
    assert "Out In The World" not in drafts


def test_no_one_else_sees_a_writers_drafts(author, reader):
    co_writer = make_user("co_writer")
    make_work(author, title="Secret Draft", post=False, co_creators=[co_writer.default_pseud])
    for client in (Client(), logged_in(reader), logged_in(co_writer)):
        html = client.get("/users/author/").content.decode()
        assert "drafts-heading" not in html
        assert "Secret Draft" not in html
    assert "drafts-heading" not in logged_in(reader).get("/users/reader/").content.decode()


def test_user_pages_of_unknown_or_inactive_users_are_not_found(client):
    make_user("sleeper", is_active=False)
    for url in ("/users/nobody/", "/users/sleeper/", "/users/sleeper/works"):
        assert client.get(url).status_code == 404


def test_user_works_filter_by_fandom_and_relationship(client, author):
    make_work(author, title="Ada And Bram", relationships=["Ada/Bram"])
    make_work(author, title="Ada And Cy", relationships=["Ada/Cy"])
    make_work(author, title="Other Fandom", fandoms=["Starfarers"], relationships=["Ada/Bram"])
    lamp = Tag.objects.get(name="Lamplighter Chronicles")
    ada_bram = Tag.objects.get(name="Ada/Bram")

    by_fandom = client.get(f"/users/author/works?fandom={lamp.slug}").content.decode()
    assert "Ada And Bram" in by_fandom and "Ada And Cy" in by_fandom
    assert "Other Fandom" not in by_fandom

    by_pairing = client.get(f"/users/author/works?relationship={ada_bram.slug}").content.decode()
    assert "Ada And Bram" in by_pairing and "Other Fandom" in by_pairing
    assert "Ada And Cy" not in by_pairing

    both = client.get(f"/users/author/works?fandom={lamp.slug}&relationship={ada_bram.slug}")
    assert "Ada And Bram" in both.content.decode()
    assert "Other Fandom" not in both.content.decode()
    assert "Ada And Cy" not in both.content.decode()

    unknown = client.get("/users/author/works?relationship=no-such-tag")
    assert unknown.status_code == 200
    assert "None of these works has that relationship; left out." in text(unknown)
    assert "3 works found" in text(unknown)


def test_user_works_filter_by_pseud(client, author):
    from duster.accounts.models import Pseud
    from duster.works.services.works import work_create

    owl = Pseud.objects.create(user=author, name="Night Owl")
    make_work(author, title="As Author")
    work_create(
        pseuds=[owl],
        fields={"title": "As Owl", "rating": "general", "warnings": ["none"]},
        tags={"fandoms": ["Lamplighter Chronicles"]},
        chapter={"body": "<p>Hoot.</p>"},
        post=True,
    )
    html = client.get(f"/users/author/works?pseud={owl.pk}").content.decode()
    assert "As Owl" in html and "As Author" not in html
    assert "Works by author as Night Owl" in text(client.get(f"/users/author/works?pseud={owl.pk}"))
    # The sidebar, the facets and the pager keep to the pseud.
    assert f'<input type="hidden" name="pseud" value="{owl.pk}">' in html
    assert f'href="/users/author/works?pseud={owl.pk}&amp;include=Lamplighter+Chronicles"' in html
    assert client.get("/users/author/works?pseud=abc").status_code == 200


def test_tag_pages_list_the_tags_works(client, author):
    make_work(author, title="Tagged Fluff", freeforms=["Fluff"])
    make_work(author, title="Untagged")
    fluff = Tag.objects.get(name="Fluff")
    detail = client.get(f"/tags/{fluff.slug}/")
    assert detail.status_code == 200
    assert "Additional Tag · 1 work" in text(detail)
    assert "Tagged Fluff" in detail.content.decode()
    assert "Untagged" not in detail.content.decode()
    works = client.get(f"/tags/{fluff.slug}/works")
    assert works.status_code == 200
    assert "Tagged Fluff" in works.content.decode()
    assert "Untagged" not in works.content.decode()
    assert client.get("/tags/no-such-tag/").status_code == 404
    assert client.get(f"/tags/{fluff.slug}/works?page=abc").status_code == 200


def test_blurb_shows_what_a_reader_needs(client, author):
    work = make_work(
        author,
        title="Blurbed",
        rating="teen",
        warnings=["violence", "death"],
        categories=["ff"],
        relationships=["Ada/Bram"],
        characters=["Ada"],
        freeforms=["Hurt/Comfort"],
        summary="<p>What happens in it.</p>",
        language="fr",
        chapters=2,
        expected_chapters=3,
    )
    found = re.search(
        rf'<li class="work blurb group" id="work_{work.pk}">.*?</li>\s*</ol>',
        client.get("/works/").content.decode(),
        re.S,
    )
    assert found
    blurb = found.group(0)
    words = " ".join(unescape(re.sub(r"<[^>]+>", " ", blurb)).split())
    assert f'<a href="/works/{work.pk}/">Blurbed</a>' in blurb
    assert f'href="/users/author/works?pseud={author.default_pseud.pk}">author</a>' in blurb
    assert 'class="tag"' in blurb and "Lamplighter Chronicles" in blurb
    for hidden in (
        "Rating: Teen And Up Audiences",
        "Warnings: Graphic Depictions Of Violence, Major Character Death",
        "Category: F/F",
        "Work in progress",
    ):
        assert f'<span class="visually-hidden">{hidden}</span>' in blurb
    for shown in (
        "Ada/Bram",
        "Ada",
        "Hurt/Comfort",
        "What happens in it.",
        "Language: French",
        f"Words: {work.word_count}",
        "Chapters: 2/3",
        f"{work.updated_at:%-d %b %Y}",
    ):
        assert shown in words


def test_one_chapter_complete_work_reads_as_a_complete_one_shot(client, author):
    work = make_work(author, title="One Shot", expected_chapters=1)
    make_series(author, works=[work])
    hidden = '<span class="visually-hidden">Complete (one-shot)</span>'
    for url in (
        "/",
        "/works/",
        "/users/author/",
        "/users/author/works",
        f"/series/{work.series_entries.get().series_id}/",
    ):
        html = client.get(url).content.decode()
        assert hidden in html, url
    assert "Chapters: 1/1" in text(client.get(work.get_absolute_url()))


def test_unknown_chapter_count_is_a_work_in_progress(client, author):
    make_work(author, expected_chapters=None)
    html = client.get("/works/").content.decode()
    assert '<span class="visually-hidden">Work in progress</span>' in html
    assert "Chapters: 1/?" in text(client.get("/works/"))


def test_posting_the_last_planned_chapter_completes_the_work(client, author):
    work = make_work(author, chapters=1, expected_chapters=2)
    assert "Work in progress" in client.get("/works/").content.decode()
    chapter_create(work=work, fields={"body": "<p>The end.</p>"}, post=True)
    html = client.get("/works/").content.decode()
    assert '<span class="visually-hidden">Complete work</span>' in html
    assert "Chapters: 2/2" in text(client.get("/works/"))


def test_an_outside_image_in_a_chapter_is_not_loaded(client):
    from duster.works.services.chapters import chapter_update

    work = make_work(make_user())
    chapter = work.chapters.get()
    chapter_update(
        chapter=chapter,
        fields={"body": '<p>Look</p><img src="https://tracker.example/p.gif" alt="a cat">'},
        version=chapter.version,
    )
    page = client.get(work.get_absolute_url()).content.decode()
    assert '<img src="https://tracker.example' not in page
    assert "a cat" in page
