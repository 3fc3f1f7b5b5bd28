"""Bookmarks of works and series: the service's rules, the form, the work
page's part and a user's bookmarks page."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from duster.community.models import BOOKMARK_NOTES_MAX, Bookmark
from duster.community.services.bookmarks import bookmark_delete, bookmark_save
from duster.tags.models import Tag, TagType
from duster.testing.factories import make_series, make_user, make_work
from duster.works.models import Work

pytestmark = pytest.mark.django_db


def member_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def bookmark_count(work) -> int:
    return Work.objects.get(pk=work.pk).bookmark_count


# --- The service -----------------------------------------------------------------------------


def test_public_bookmark_counts_on_the_work_and_private_does_not(work, reader):
    bookmark_save(user=reader, work=work)
    assert bookmark_count(work) == 1
    bookmark_save(user=make_user(), work=work, private=True)
    assert bookmark_count(work) == 1


def test_saving_again_changes_the_bookmark_and_moves_the_count(work, reader):
    first = bookmark_save(user=reader, work=work, notes="Lovely.")
    second = bookmark_save(user=reader, work=work, notes="Even better.", private=True, rec=True)
    assert first.pk == second.pk
    assert Bookmark.objects.count() == 1
    assert bookmark_count(work) == 0  # public -> private takes it away
    bookmark_save(user=reader, work=work, private=False)
    assert bookmark_count(work) == 1


def test_deleting_a_public_bookmark_takes_it_off_the_count_once(work, reader):
    bookmark = bookmark_save(user=reader, work=work)
    bookmark_delete(bookmark=bookmark)
    bookmark_delete(bookmark=bookmark)  # gone already: nothing more
    assert bookmark_count(work) == 0
    private = bookmark_save(user=reader, work=work, private=True)
    bookmark_delete(bookmark=private)
    assert bookmark_count(work) == 0


def test_notes_are_sanitized_plain_text(work, reader):
    bookmark = bookmark_save(
        user=reader, work=work, notes='<script>alert(1)</script> <b onclick="x">Loved</b> it'
    )
    assert "<script>" not in bookmark.notes
    assert "<b" not in bookmark.notes  # escaped, so no attribute can run
    assert "&lt;b" in bookmark.notes  # plain text: shown as typed, not as markup
    assert bookmark.notes_source.startswith("<script>")


def test_notes_sanitized_whatever_saves_them(work, reader):
    bookmark = bookmark_save(user=reader, work=work)
    bookmark.notes = '<p onclick="x">Hi</p><script>bad()</script>'
    bookmark.save()
    bookmark.refresh_from_db()
    assert "onclick" not in bookmark.notes and "<script>" not in bookmark.notes


def test_too_long_notes_are_refused_and_nothing_is_saved(work, reader):
    with pytest.raises(ValidationError) as caught:
        bookmark_save(user=reader, work=work, notes="x" * (BOOKMARK_NOTES_MAX + 1))
    assert "notes" in caught.value.error_dict
    assert not Bookmark.objects.exists()
    assert bookmark_count(work) == 0


def test_bookmark_tags_are_the_bookmarkers_own_freeform_tags(work, reader):
    bookmark = bookmark_save(user=reader, work=work, tags=["Slow burn", "To reread"])
    assert sorted(t.name for t in bookmark.tags.all()) == ["Slow burn", "To reread"]
    assert {t.type for t in bookmark.tags.all()} == {TagType.FREEFORM}
    bookmark_save(user=make_user(), work=work, tags=["slow burn"])  # the same tag
    assert Tag.objects.filter(name__iexact="slow burn").count() == 1
    bookmark_save(user=reader, work=work, tags=["To reread"])
    assert [t.name for t in Bookmark.objects.get(pk=bookmark.pk).tags.all()] == ["To reread"]


def test_a_bad_tag_is_refused_by_name(work, reader):
    with pytest.raises(ValidationError) as caught:
        bookmark_save(user=reader, work=work, tags=["x" * 200])
    assert "tags" in caught.value.error_dict
    assert not Bookmark.objects.exists()


def test_only_what_the_user_can_see_can_be_bookmarked(author, reader):
    draft = make_work(author, post=False)
    with pytest.raises(ValidationError):
        bookmark_save(user=reader, work=draft)
    restricted = make_work(author, restricted=True)
    bookmark_save(user=reader, work=restricted)  # members may read it
    anonymous_only = make_series(author, works=[make_work(author, anonymous=True)])
    with pytest.raises(ValidationError):
        bookmark_save(user=reader, series=anonymous_only)


def test_series_bookmarks_count_on_no_work(work, author, reader):
    series = make_series(author, works=[work])
    bookmark = bookmark_save(user=reader, series=series, rec=True)
    assert bookmark.series_id == series.pk and bookmark.work_id is None
    assert bookmark_count(work) == 0


# --- The form --------------------------------------------------------------------------------


def test_member_bookmarks_a_work_with_the_form(work, reader):
    client = member_client(reader)
    form = client.get(f"/works/{work.pk}/bookmark")
    assert form.status_code == 200 and "csrfmiddlewaretoken" in form.content.decode()
    data = {"notes": "A favourite.", "tags": "Comfort read, Lanterns", "rec": "on"}
    response = client.post(f"/works/{work.pk}/bookmark", data)
    assert response.status_code == 302
    assert response["Location"] == f"/works/{work.pk}/#bookmarks"
    bookmark = Bookmark.objects.get(user=reader, work=work)
    assert bookmark.rec and not bookmark.private
    assert "A favourite." in bookmark.notes
    assert bookmark_count(work) == 1


def test_the_form_reopens_filled_in_and_offers_delete(work, reader):
    bookmark_save(user=reader, work=work, notes="Kept words", tags=["Mine"], private=True)
    page = member_client(reader).get(f"/works/{work.pk}/bookmark").content.decode()
    assert "Kept words" in page
    assert 'value="Mine"' in page
    assert "Edit your bookmark" in page
    assert "Delete this bookmark" in page


def test_too_long_notes_come_back_with_a_message_and_the_typed_text(work, reader):
    notes = "Typed with care. " + "x" * BOOKMARK_NOTES_MAX
    response = member_client(reader).post(
        f"/works/{work.pk}/bookmark", {"notes": notes, "tags": "Kept tag"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Keep your notes to 5,000 characters" in page
    assert "Typed with care." in page and "Kept tag" in page
    assert not Bookmark.objects.exists()


def test_a_quoted_tag_with_a_comma_comes_back_with_a_message(work, reader):
    response = member_client(reader).post(
        f"/works/{work.pk}/bookmark", {"notes": "Kept", "tags": '"Hurt, comfort"'}
    )
    assert response.status_code == 200
    assert "can&#x27;t be part of a tag name" in response.content.decode()
    assert not Bookmark.objects.exists()


def test_guests_are_sent_to_log_in(client, work):
    response = client.get(f"/works/{work.pk}/bookmark")
    assert response.status_code == 302 and "login" in response["Location"]


def test_restricted_or_draft_work_is_a_404_for_those_who_cannot_see_it(author, reader):
    draft = make_work(author, post=False)
    assert member_client(reader).get(f"/works/{draft.pk}/bookmark").status_code == 404


def test_member_deletes_their_bookmark(work, reader):
    bookmark = bookmark_save(user=reader, work=work)
    response = member_client(reader).post(f"/bookmarks/{bookmark.pk}/delete")
    assert response.status_code == 302 and response["Location"] == "/users/reader/bookmarks"
    assert not Bookmark.objects.exists()
    assert bookmark_count(work) == 0


def test_no_one_else_deletes_a_bookmark(work, reader):
    bookmark = bookmark_save(user=reader, work=work)
    assert member_client(make_user()).post(f"/bookmarks/{bookmark.pk}/delete").status_code == 404
    assert member_client(reader).get(f"/bookmarks/{bookmark.pk}/delete").status_code == 405
    assert Bookmark.objects.exists()


def test_member_bookmarks_a_series(work, author, reader):
    series = make_series(author, works=[work])
    client = member_client(reader)
    assert f"/series/{series.pk}/bookmark" in client.get(series.get_absolute_url()).content.decode()
    response = client.post(f"/series/{series.pk}/bookmark", {"notes": "All of it."})
    assert response.status_code == 302
    assert Bookmark.objects.get(user=reader).series_id == series.pk


# --- The work page ---------------------------------------------------------------------------


def test_work_page_shows_the_count_and_bookmark_or_edit_link(work, reader):
    client = member_client(reader)
    page = client.get(work.get_absolute_url()).content.decode()
    assert 'Bookmarks: <span class="count">0</span>' in page
    assert f'href="/works/{work.pk}/bookmark" rel="nofollow">Bookmark<' in page
    bookmark_save(user=reader, work=work)
    page = client.get(work.get_absolute_url()).content.decode()
    assert 'Bookmarks: <span class="count">1</span>' in page
    assert ">Edit bookmark<" in page


def test_cached_guest_page_follows_the_bookmark_count(client, work, reader):
    client.get(work.get_absolute_url())
    bookmark = bookmark_save(user=reader, work=work)
    assert (
        'Bookmarks: <span class="count">1</span>'
        in client.get(work.get_absolute_url()).content.decode()
    )
    bookmark_save(user=reader, work=work, private=True)
    assert (
        'Bookmarks: <span class="count">0</span>'
        in client.get(work.get_absolute_url()).content.decode()
    )
    bookmark_delete(bookmark=bookmark)


# --- A user's bookmarks page -----------------------------------------------------------------


def test_bookmarks_page_shows_public_bookmarks_to_others_and_private_ones_to_the_owner(
    work, author, reader
):
    other = make_work(author, title="Secret Favourite")
    bookmark_save(user=reader, work=work, notes="Public note", tags=["Shared tag"], rec=True)
    bookmark_save(user=reader, work=other, notes="Private note", private=True)
    guest_page = Client().get("/users/reader/bookmarks").content.decode()
    assert "Lanterns" in guest_page and "Public note" in guest_page and "Shared tag" in guest_page
    assert "Rec" in guest_page
    assert "Secret Favourite" not in guest_page and "Private note" not in guest_page
    assert "1 bookmark<" in guest_page
    own_page = member_client(reader).get("/users/reader/bookmarks").content.decode()
    assert "Secret Favourite" in own_page and "Private note" in own_page
    assert "2 bookmarks" in own_page


def test_bookmarks_page_leaves_out_works_the_viewer_cannot_see(author, reader):
    restricted = make_work(author, title="Members Only", restricted=True)
    bookmark_save(user=reader, work=restricted)
    assert "Members Only" not in Client().get("/users/reader/bookmarks").content.decode()
    assert (
        "Members Only" in member_client(make_user()).get("/users/reader/bookmarks").content.decode()
    )
    Work.objects.filter(pk=restricted.pk).update(state="hidden")
    assert (
        "Members Only" not in member_client(reader).get("/users/reader/bookmarks").content.decode()
    )


def test_bookmarks_page_shows_series(work, author, reader):
    series = make_series(author, works=[work], title="The Lantern Cycle")
    bookmark_save(user=reader, series=series, notes="Read in order")
    page = Client().get("/users/reader/bookmarks").content.decode()
    assert "The Lantern Cycle" in page and "Read in order" in page


def test_unknown_user_has_no_bookmarks_page(client):
    assert client.get("/users/nobody/bookmarks").status_code == 404


def test_user_page_links_to_the_bookmarks(client, reader):
    assert "/users/reader/bookmarks" in client.get("/users/reader/").content.decode()


def test_bookmarks_page_queries_do_not_grow_with_bookmarks(
    author, reader, django_assert_num_queries
):
    viewer = member_client(make_user())
    owner = member_client(reader)
    guest = Client()

    def add(number: int) -> None:
        work = make_work(author, title=f"Work {number}", co_creators=[make_user().default_pseud])
        work.creatorships.update(approved=True)
        bookmark_save(user=reader, work=work, tags=[f"Tag {number}", "Shared"], notes="N")
        series = make_series(author, works=[work], title=f"Series {number}")
        bookmark_save(user=reader, series=series, tags=[f"S{number}"], private=number % 2 == 0)

    add(0)
    add(1)
    counts = {}
    for name, client in (("guest", guest), ("viewer", viewer), ("owner", owner)):
        client.get("/users/reader/bookmarks")
        with CaptureQueriesContext(connection) as queries:
            client.get("/users/reader/bookmarks")
        counts[name] = len(queries)
    for number in range(2, 14):
        add(number)
    for name, client in (("guest", guest), ("viewer", viewer), ("owner", owner)):
        client.get("/users/reader/bookmarks")  # what the writes changed kept again
        with django_assert_num_queries(counts[name]):
            page = client.get("/users/reader/bookmarks").content.decode()
        assert page.count('class="bookmark group"') == 20, name


def test_bookmarks_page_leaves_out_works_by_creators_the_viewer_muted(work, author, reader):
    from duster.accounts.mutes import mute_user

    other = make_work(make_user("someone"), title="Not Muted")
    bookmark_save(user=reader, work=work)
    bookmark_save(user=reader, work=other)
    viewer = make_user("viewer")
    mute_user(user=viewer, other=author)
    page = member_client(viewer).get("/users/reader/bookmarks").content.decode()
    assert "Lanterns" not in page and "Not Muted" in page
    assert "1 bookmark<" in page
