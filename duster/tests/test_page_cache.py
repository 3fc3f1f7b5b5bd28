"""Guests' pages come from the cache, and every change a reader could see
shows on the very next guest request, whatever made it."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from duster.accounts.models import Pseud
from duster.accounts.services import pseud_save
from duster.images.models import ImageHostPolicy
from duster.tags.models import Tag
from duster.testing.factories import make_series, make_user, make_work
from duster.works.models import Work, WorkState
from duster.works.services.chapters import (
    chapter_create,
    chapter_delete,
    chapter_reorder,
    chapter_update,
)
from duster.works.services.series import series_reorder
from duster.works.services.stats import works_touch
from duster.works.services.works import creatorship_respond, work_leave, work_update

pytestmark = pytest.mark.django_db


def cached(client: Client, url: str, status: int = 200) -> str:
    """The page, asked twice: the second answer must come from the cache."""
    first = client.get(url)
    assert first.status_code == status, url
    with CaptureQueriesContext(connection) as queries:
        again = client.get(url)
    assert again.status_code == status, url
    assert len(queries) == 0, [q["sql"] for q in queries.captured_queries]
    assert again.content == first.content
    return again.content.decode()


def fields_of(work: Work, **changes) -> dict:
    fields = {
        name: getattr(work, name)
        for name in (
            "title",
            "language",
            "rating",
            "warnings",
            "categories",
            "expected_chapters",
            "restricted",
            "comment_policy",
            "moderated_comments",
            "anonymous",
        )
    }
    fields["text_format"] = "html"
    for name in Work.RICH_TEXT:
        fields[name] = work.rich_text_source(name)
    fields.update(changes)
    return fields


def tags_of(work: Work, **changes) -> dict:
    tags = {
        "fandoms": [t.name for t in work.fandoms()],
        "relationships": [t.name for t in work.relationships()],
        "characters": [t.name for t in work.characters()],
        "freeforms": [t.name for t in work.freeforms()],
    }
    tags.update(changes)
    return tags


def update(work: Work, *, tags=None, **changes) -> None:
    work = Work.objects.get(pk=work.pk)
    work_update(work=work, fields=fields_of(work, **changes), tags=tags or tags_of(work))


@pytest.fixture
def author():
    return make_user("author")


@pytest.fixture
def work(author):
    return make_work(author, title="Lantern Song", chapters=2, freeforms=["Slow Burn"])


def test_a_guest_page_is_served_from_the_cache_without_queries(client, work):
    for url in (work.get_absolute_url(), "/works/", "/", "/users/author/", "/users/author/works"):
        cached(client, url)


def test_editing_a_chapter_shows_at_once(client, work):
    chapter = work.chapters.get(position=1)
    assert "first chapter" in cached(client, chapter.get_absolute_url())
    chapter_update(chapter=chapter, fields={"body": "<p>Rewritten words.</p>"}, version=1)
    page = client.get(chapter.get_absolute_url()).content.decode()
    assert "Rewritten words." in page
    assert "first chapter" not in page


def test_metadata_shows_on_the_work_and_every_list(client, work):
    tag = Tag.objects.get(name="Slow Burn")
    urls = [work.get_absolute_url(), "/works/", "/", "/users/author/works", tag.works_url]
    for url in urls:
        assert "Lantern Song" in cached(client, url)
    update(work, title="Lantern Hymn")
    for url in urls:
        page = client.get(url).content.decode()
        assert "Lantern Hymn" in page and "Lantern Song" not in page, url


def test_tags_changed_show_on_the_work_and_the_tag_pages(client, work):
    old = Tag.objects.get(name="Slow Burn")
    assert "Lantern Song" in cached(client, old.works_url)
    cached(client, work.get_absolute_url())
    update(work, tags=tags_of(work, freeforms=["Fast Burn"]))
    page = client.get(work.get_absolute_url()).content.decode()
    assert "Fast Burn" in page and "Slow Burn" not in page
    assert client.get(old.works_url).status_code == 404  # on no visible work now
    assert (
        "Lantern Song" in client.get(Tag.objects.get(name="Fast Burn").works_url).content.decode()
    )


def test_a_renamed_tag_shows_on_the_work(client, work):
    cached(client, work.get_absolute_url())
    tag = Tag.objects.get(name="Slow Burn")
    tag.name = "Slowest Burn"
    tag.save()
    assert "Slowest Burn" in client.get(work.get_absolute_url()).content.decode()


def test_chapters_added_reordered_and_deleted_show_at_once(client, work):
    navigate = f"/works/{work.pk}/navigate"
    cached(client, navigate)
    chapter = chapter_create(work=work, fields={"title": "Third Light", "body": "<p>x</p>"})
    assert "Third Light" in client.get(navigate).content.decode()
    cached(client, navigate)
    chapters = list(work.chapters.order_by("position"))
    chapter_reorder(work=work, positions={c.pk: 3 - i for i, c in enumerate(chapters)})
    page = client.get(navigate).content.decode()
    assert page.index("Third Light") < page.index(chapters[0].get_absolute_url())
    url = chapter.get_absolute_url()
    cached(client, url)
    chapter_delete(chapter=chapter)
    assert client.get(url).status_code == 404
    assert "Third Light" not in client.get(navigate).content.decode()


def test_co_creators_invited_accepting_and_leaving_show_at_once(client, work, author):
    cocreator = make_user("cocreator")
    url = work.get_absolute_url()
    cached(client, url)
    work = Work.objects.get(pk=work.pk)
    work_update(
        work=work,
        pseuds=[author.default_pseud],
        co_creators=[cocreator.default_pseud],
        fields=fields_of(work),
        tags=tags_of(work),
    )
    assert "cocreator" not in cached(client, url)  # invited, not credited yet
    creatorship_respond(creatorship=work.creatorships.get(pseud__user=cocreator), accept=True)
    assert "cocreator" in cached(client, url)
    assert "Lantern Song" in cached(client, "/users/cocreator/works")
    work_leave(work=work, user=cocreator)
    assert "cocreator" not in client.get(url).content.decode()
    assert "Lantern Song" not in client.get("/users/cocreator/works").content.decode()


def test_series_order_shows_on_the_series_and_its_works(client, work, author):
    other = make_work(author, title="Ember Tale")
    series = make_series(author, [work, other], title="Lights")
    assert "Part 1 of" in cached(client, work.get_absolute_url())
    page = cached(client, series.get_absolute_url())
    assert page.index("Lantern Song") < page.index("Ember Tale")
    series_reorder(series=series, positions={work.pk: 2, other.pk: 1})
    assert "Part 2 of" in client.get(work.get_absolute_url()).content.decode()
    page = client.get(series.get_absolute_url()).content.decode()
    assert page.index("Ember Tale") < page.index("Lantern Song")


def test_a_neighbour_renamed_shows_on_the_work_beside_it(client, work, author):
    other = make_work(author, title="Ember Tale")
    make_series(author, [work, other], title="Lights")
    cached(client, work.get_absolute_url())
    update(other, title="Ember Saga")
    page = client.get(work.get_absolute_url()).content.decode()
    if "Ember" in page:  # the series navigation names the next work
        assert "Ember Saga" in page


def test_a_pseud_renamed_shows_on_its_works(client, work, author):
    pseud = Pseud.objects.create(user=author, name="Quill")
    credit = work.creatorships.get()
    credit.pseud = pseud
    credit.save()
    assert "Quill" in cached(client, work.get_absolute_url())
    pseud.name = "Inkwell"
    pseud_save(pseud=pseud)
    for url in (work.get_absolute_url(), "/works/"):
        page = client.get(url).content.decode()
        assert "Inkwell" in page and "Quill" not in page


def test_a_username_changed_shows_on_the_works(client, work, author):
    cached(client, work.get_absolute_url())
    author.username = "renamed_author"
    author.save()
    assert "renamed_author" in client.get(work.get_absolute_url()).content.decode()


@pytest.mark.parametrize("change", ["restricted", "hidden", "deleted"])
def test_a_work_taken_from_guests_is_gone_at_once(client, work, change):
    urls = [work.get_absolute_url(), work.chapters.get(position=2).get_absolute_url()]
    for url in urls:
        cached(client, url)
    assert "Lantern Song" in cached(client, "/works/")
    if change == "restricted":
        update(work, restricted=True)
    elif change == "hidden":
        work.state = WorkState.HIDDEN
        work.save()
    else:
        Work.objects.get(pk=work.pk).delete()
    for url in urls:
        assert client.get(url).status_code == 404
    assert "Lantern Song" not in client.get("/works/").content.decode()


def test_a_draft_posted_appears_at_once(client, author):
    cached(client, "/works/")
    draft = make_work(author, title="Quiet Draft", post=False)
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert "Quiet Draft" not in cached(client, "/works/")
    from duster.works.services.works import work_post

    work_post(work=draft)
    assert "Quiet Draft" in client.get("/works/").content.decode()
    assert client.get(draft.get_absolute_url()).status_code == 200


def test_the_admin_changes_show_at_once(admin_client, client, work, author):
    series = make_series(author, [work], title="Lights")
    assert "Lights" in cached(client, work.get_absolute_url())
    data = {
        "title": "Lanterns All",
        "summary_source": "",
        "notes_source": "",
        "text_format": "html",
        "entries-TOTAL_FORMS": "0",
        "entries-INITIAL_FORMS": "0",
        "creatorships-TOTAL_FORMS": "0",
        "creatorships-INITIAL_FORMS": "0",
    }
    response = admin_client.post(f"/admin/works/series/{series.pk}/change/", data)
    assert response.status_code == 302
    assert "Lanterns All" in client.get(work.get_absolute_url()).content.decode()
    cached(client, work.get_absolute_url())
    response = admin_client.post(
        "/admin/works/work/",
        {"action": "delete_selected", "_selected_action": [work.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert client.get(work.get_absolute_url()).status_code == 404


def test_a_work_imported_by_the_command_shows_at_once(client, author, tmp_path):
    cached(client, "/works/")
    cached(client, "/users/author/")
    path = tmp_path / "imported.txt"
    path.write_text("An imported story.")
    call_command(
        "import_work", str(path), creator="author", title="Imported Tale", stdout=StringIO()
    )
    assert "Imported Tale" in client.get("/works/").content.decode()
    assert "Imported Tale" in client.get("/users/author/").content.decode()


def test_queryset_updates_show_at_once(client, work):
    """update() sends no signal: works_touch says which works changed, and
    any write to a shown table re-renders the lists."""
    cached(client, work.get_absolute_url())
    cached(client, "/works/")
    Work.objects.filter(pk=work.pk).update(title="Changed In Bulk")
    assert "Changed In Bulk" in client.get("/works/").content.decode()
    works_touch(work_ids=[work.pk])
    assert "Changed In Bulk" in client.get(work.get_absolute_url()).content.decode()


def test_a_member_is_never_served_a_cached_page(client, work, author):
    cached(client, work.get_absolute_url())
    reader = make_user("reader")
    member = Client()
    member.force_login(reader)
    with CaptureQueriesContext(connection) as queries:
        response = member.get(work.get_absolute_url())
    assert len(queries) > 0
    assert "reader" in response.content.decode()  # their own header
    assert "private" in response["Cache-Control"]
    assert "public" in client.get(work.get_absolute_url())["Cache-Control"]


def test_the_creator_sees_their_own_page_not_the_guests(client, work, author):
    chapter = chapter_create(work=work, fields={"body": "<p>Unposted</p>"}, post=False)
    cached(client, f"/works/{work.pk}/navigate")
    own = Client()
    own.force_login(author)
    assert chapter.display_title in own.get(f"/works/{work.pk}/navigate").content.decode()


def test_the_adult_notice_is_never_cached_and_the_answer_keys_the_page(client, author):
    adult = make_work(author, title="Night Story", rating="explicit")
    url = adult.get_absolute_url()
    notice = client.get(url)
    assert "csrfmiddlewaretoken" in notice.content.decode()
    assert "public" not in notice.get("Cache-Control", "")
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    assert len(queries) > 0  # asked again, not cached
    answered = Client()
    answered.get(url)
    answered.post(f"/works/{adult.pk}/view_adult", {})
    assert "The first chapter" in cached(answered, url)
    # Another guest, without the answer, still gets the notice.
    assert "csrfmiddlewaretoken" in Client().get(url).content.decode()


def test_messages_are_never_cached_or_served_from_the_cache(client, work):
    from django.contrib.messages.storage.cookie import CookieStorage

    cached(client, work.get_absolute_url())
    storage = CookieStorage(client.get("/").wsgi_request)
    response = client.get("/")
    storage.add(20, "Only for you")
    storage.update(response)
    client.cookies.update(response.cookies)
    page = client.get(work.get_absolute_url())
    assert "Only for you" in page.content.decode()
    del client.cookies["messages"]
    assert "Only for you" not in client.get(work.get_absolute_url()).content.decode()


def test_reader_settings_key_the_page_in_their_normal_form(work):
    url = work.get_absolute_url()
    plain = Client()
    cached(plain, url)
    dark = Client()
    dark.cookies["duster_reader"] = "theme:dark"
    first = dark.get(url).content
    # The same settings spelt with garbage around them share the entry.
    same = Client()
    same.cookies["duster_reader"] = "junk&theme:dark&nonsense:1"
    with CaptureQueriesContext(connection) as queries:
        assert same.get(url).content == first
    assert len(queries) == 0


def test_head_is_answered_from_the_cache_without_a_body(client, work):
    page = cached(client, work.get_absolute_url())
    with CaptureQueriesContext(connection) as queries:
        head = client.head(work.get_absolute_url())
    assert len(queries) == 0
    assert head.status_code == 200 and head.content == b""
    assert int(head["Content-Length"]) == len(page.encode())


def test_cached_pages_still_count_hits_once_per_visitor(work):
    url = work.get_absolute_url()
    for address in ("198.51.100.1", "198.51.100.1", "198.51.100.2", "198.51.100.3"):
        Client(REMOTE_ADDR=address).get(url)
    assert Work.objects.get(pk=work.pk).hits == 3


def test_cached_guest_pages_cost_no_queries_in_a_bigger_archive(client, author):
    urls = ["/", "/works/", "/users/author/works"]
    make_work(author, title="Seed")
    for url in urls:
        cached(client, url)
    for number in range(15):
        make_work(author, title=f"More {number}", chapters=2, freeforms=[f"T{number}"])
    for url in urls:
        assert "More 14" in cached(client, url)


def test_outside_image_hosts_allowed_show_at_once(client, work):
    chapter = work.chapters.get(position=1)
    image = '<p><img src="https://i.example.org/map.png" alt="The map"></p>'
    chapter_update(chapter=chapter, fields={"body": image}, version=chapter.version)
    assert "outside image, not loaded" in cached(client, work.get_absolute_url())
    ImageHostPolicy(allowed_hosts="i.example.org").save()
    html = client.get(work.get_absolute_url()).content.decode()
    assert '<img src="https://i.example.org/map.png"' in html
