"""Muted tags and muted creators: the services search reads (mutes_of), the
preferences page's boxes and lists, and the mute/unmute button tag and
creator pages post to."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from duster.accounts import mutes as mutes_module
from duster.accounts.models import Mute
from duster.accounts.mutes import (
    Mutes,
    mute_tag,
    mute_user,
    mutes_of,
    unmute_tag,
    unmute_user,
)
from duster.accounts.tests.helpers import text_of, value_of
from duster.tags.models import Tag, TagType
from duster.tags.services import tags_find_or_create
from duster.tags.wrangling.services import tag_make_canonical, tag_merge
from duster.testing.factories import make_user, make_work
from duster.testing.html import errors_at
from duster.works.models import Work, WorkState

pytestmark = pytest.mark.django_db

PREFERENCES = "/account/preferences/"
TOGGLE = "/account/preferences/mutes/"


def tag(name: str, tag_type: TagType = TagType.FREEFORM, canonical: bool = True) -> Tag:
    (found,) = tags_find_or_create(tag_type=tag_type, names=[name])
    if canonical and not found.canonical:
        tag_make_canonical(actor=None, tags=[found])
        found.refresh_from_db()
    return found


def synonym(name: str, of: Tag) -> Tag:
    (found,) = tags_find_or_create(tag_type=TagType(of.type), names=[name])
    tag_merge(actor=None, tags=[found], into=of)
    found.refresh_from_db()
    return found


def said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def reader():
    return make_user("reader")


@pytest.fixture
def writer():
    return make_user("writer")


@pytest.fixture
def reader_client(reader):
    client = Client()
    client.force_login(reader)
    return client


class TestMutesOf:
    def test_a_guest_has_no_mutes_and_costs_no_query(self, django_assert_num_queries):
        with django_assert_num_queries(0):
            assert mutes_of(AnonymousUser()) == Mutes()

    def test_tags_and_users_are_read_in_one_query(self, reader, writer, django_assert_num_queries):
        angst, fluff = tag("Angst"), tag("Fluff")
        mute_tag(user=reader, tag=angst)
        mute_tag(user=reader, tag=fluff)
        mute_user(user=reader, other=writer)
        with django_assert_num_queries(1):
            found = mutes_of(reader)
        assert found == Mutes(
            tag_ids=frozenset({angst.pk, fluff.pk}), user_ids=frozenset({writer.pk})
        )

    def test_another_readers_mutes_are_not_mine(self, reader, writer):
        mute_tag(user=writer, tag=tag("Angst"))
        assert mutes_of(reader) == Mutes()

    def test_a_muted_tag_since_made_a_synonym_counts_as_its_canonical_tag(self, reader):
        unwrangled = tag("hurt & comfort", canonical=False)
        mute_tag(user=reader, tag=unwrangled)
        canonical = tag("Hurt/Comfort")
        tag_merge(actor=None, tags=[unwrangled], into=canonical)
        assert mutes_of(reader).tag_ids == {canonical.pk}


class TestMuteServices:
    def test_muting_a_synonym_mutes_its_canonical_tag(self, reader):
        canonical = tag("Hurt/Comfort")
        muted = mute_tag(user=reader, tag=synonym("h/c", canonical))
        assert muted == canonical
        assert Mute.objects.get(user=reader).tag == canonical

    def test_muting_twice_keeps_one_mute(self, reader, writer):
        angst = tag("Angst")
        for _ in range(2):
            mute_tag(user=reader, tag=angst)
            mute_user(user=reader, other=writer)
        assert Mute.objects.filter(user=reader).count() == 2

    def test_unmuting_a_synonym_unmutes_its_canonical_tag(self, reader):
        canonical = tag("Hurt/Comfort")
        mute_tag(user=reader, tag=canonical)
        unmute_tag(user=reader, tag=synonym("h/c", canonical))
        assert mutes_of(reader) == Mutes()

    def test_unmuting_a_user_shows_them_again(self, reader, writer):
        mute_user(user=reader, other=writer)
        unmute_user(user=reader, other=writer)
        assert mutes_of(reader) == Mutes()

    def test_reader_cannot_mute_themselves(self, reader):
        with pytest.raises(ValidationError, match="can't mute yourself"):
            mute_user(user=reader, other=reader)
        assert not Mute.objects.exists()

    def test_mutes_of_each_kind_are_capped(self, reader, monkeypatch):
        monkeypatch.setattr(mutes_module, "MUTES_MAX", 2)
        mute_tag(user=reader, tag=tag("Angst"))
        mute_tag(user=reader, tag=tag("Fluff"))
        with pytest.raises(ValidationError, match="at most 2 tags"):
            mute_tag(user=reader, tag=tag("Crack"))
        mute_user(user=reader, other=make_user("one"))  # users count apart from tags
        mute_user(user=reader, other=make_user("two"))
        with pytest.raises(ValidationError, match="at most 2 users"):
            mute_user(user=reader, other=make_user("three"))

    @pytest.mark.parametrize("both", [True, False])
    def test_a_mute_is_of_a_tag_or_a_user_never_both_or_neither(self, reader, writer, both):
        with pytest.raises(IntegrityError):
            Mute.objects.create(
                user=reader, tag=tag("Angst") if both else None, muted_user=writer if both else None
            )


class TestPreferencesPage:
    def test_lists_muted_tags_and_creators_with_unmute_buttons(self, reader_client, reader, writer):
        mute_tag(user=reader, tag=synonym("h/c", tag("Hurt/Comfort")))
        mute_user(user=reader, other=writer)
        page = reader_client.get(PREFERENCES)
        html = page.content.decode()
        assert "Hurt/Comfort" in text_of(page)
        assert 'aria-label="Unmute Hurt/Comfort"' in html
        assert 'aria-label="Unmute writer"' in html
        assert html.count(f'action="{reverse("mute_toggle")}"') == 2

    def test_says_when_nothing_is_muted(self, reader_client):
        text = text_of(reader_client.get(PREFERENCES))
        assert "You have not muted any tags." in text
        assert "You have not muted anyone." in text

    def test_the_tag_box_offers_suggestions(self, reader_client):
        html = reader_client.get(PREFERENCES).content.decode()
        assert 'name="muted_tags"' in html and "data-tag-suggest=" in html
        assert f'data-url="{reverse("tag_autocomplete")}"' in html

    def test_queries_do_not_grow_with_the_mutes(self, reader_client, reader):
        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                assert reader_client.get(PREFERENCES).status_code == 200
            return len(captured)

        mute_tag(user=reader, tag=tag("Angst"))
        mute_user(user=reader, other=make_user("one"))
        queries()  # the first page of a session reads what later ones find cached
        few = queries()
        for name in ("Fluff", "Crack", "Smut"):
            mute_tag(user=reader, tag=synonym(name.lower() + "!", tag(name)))
        for name in ("two", "three"):
            mute_user(user=reader, other=make_user(name))
        assert queries() == few

    def test_reader_mutes_tags_by_name(self, reader_client, reader):
        angst, canonical = tag("Angst"), tag("Hurt/Comfort")
        synonym("h/c", canonical)
        response = reader_client.post(PREFERENCES, {"muted_tags": "angst, H/C ,"})
        assert response.status_code == 302
        assert response["Location"] == PREFERENCES + "#muted-tags"
        assert mutes_of(reader).tag_ids == {angst.pk, canonical.pk}
        assert said(response) == ["Muted: Angst, Hurt/Comfort."]

    def test_a_name_of_several_types_mutes_each(self, reader_client, reader):
        fandom = tag("Merlin", TagType.FANDOM)
        character = tag("Merlin", TagType.CHARACTER)
        reader_client.post(PREFERENCES, {"muted_tags": "Merlin"})
        assert mutes_of(reader).tag_ids == {fandom.pk, character.pk}

    def test_unknown_names_are_named_beside_the_box_and_what_was_typed_is_kept(
        self, reader_client, reader
    ):
        tag("Angst")
        typed = "Angst, Nonesuch, Nor This"
        response = reader_client.post(PREFERENCES, {"muted_tags": typed})
        assert response.status_code == 200
        error = errors_at(response, "muted_tags")
        assert "“Nonesuch”" in error and "“Nor This”" in error and "Angst" not in error
        assert value_of(response, "muted_tags") == typed
        assert not Mute.objects.exists()

    def test_a_tag_used_only_on_drafts_is_unknown_to_readers(self, reader_client, writer):
        make_work(writer, post=False, freeforms=["Secret Trope"])
        response = reader_client.post(PREFERENCES, {"muted_tags": "Secret Trope"})
        assert "There is no tag called “Secret Trope”" in errors_at(response, "muted_tags")

    def test_an_unwrangled_tag_on_a_posted_work_can_be_muted(self, reader_client, reader, writer):
        make_work(writer, freeforms=["Rare Trope"])
        reader_client.post(PREFERENCES, {"muted_tags": "rare trope"})
        assert mutes_of(reader).tag_ids == {Tag.objects.get(name="Rare Trope").pk}

    @pytest.mark.parametrize("typed", ["", " , ,", "x" * 5001, "Angst\x00"])
    def test_bad_tag_box_input_is_an_error_beside_the_box(self, reader_client, typed):
        tag("Angst")
        response = reader_client.post(PREFERENCES, {"muted_tags": typed})
        assert response.status_code == 200
        assert errors_at(response, "muted_tags")
        assert not Mute.objects.exists()

    def test_reader_mutes_creators_by_username(self, reader_client, reader, writer):
        other = make_user("Other_Writer")
        response = reader_client.post(PREFERENCES, {"muted_users": "WRITER, other_writer writer"})
        assert response["Location"] == PREFERENCES + "#muted-users"
        assert mutes_of(reader).user_ids == {writer.pk, other.pk}

    def test_unknown_usernames_are_named_and_kept(self, reader_client, writer):
        typed = "writer nobody_here"
        response = reader_client.post(PREFERENCES, {"muted_users": typed})
        assert "“nobody_here”" in errors_at(response, "muted_users")
        assert value_of(response, "muted_users") == typed
        assert not Mute.objects.exists()

    def test_muting_yourself_in_the_box_mutes_nobody(self, reader_client, writer):
        response = reader_client.post(PREFERENCES, {"muted_users": "writer, reader"})
        assert "can't mute yourself" in errors_at(response, "muted_users")
        assert not Mute.objects.exists()

    def test_the_preferences_form_still_saves_beside_the_boxes(self, reader_client, reader):
        response = reader_client.post(PREFERENCES, {"time_zone": "Europe/Berlin"})
        assert response.status_code == 302
        reader.refresh_from_db()
        assert reader.time_zone == "Europe/Berlin"


class TestMuteToggle:
    def test_a_tag_page_button_mutes_and_unmutes_and_goes_back(self, reader_client, reader):
        canonical = tag("Hurt/Comfort")
        back = canonical.get_absolute_url()
        data = {"tag": synonym("h/c", canonical).slug, "action": "mute", "next": back}
        response = reader_client.post(TOGGLE, data)
        assert response["Location"] == back
        assert mutes_of(reader).tag_ids == {canonical.pk}
        assert "“Hurt/Comfort” is muted" in said(response)[0]
        response = reader_client.post(TOGGLE, {**data, "action": "unmute"})
        assert mutes_of(reader) == Mutes()
        assert said(response)[-1] == "“Hurt/Comfort” is no longer muted."

    def test_a_creator_page_button_mutes_and_unmutes(self, reader_client, reader, writer):
        back = writer.get_absolute_url()
        data = {"user": "WRITER", "action": "mute", "next": back}
        assert reader_client.post(TOGGLE, data)["Location"] == back
        assert mutes_of(reader).user_ids == {writer.pk}
        reader_client.post(TOGGLE, {**data, "action": "unmute"})
        assert mutes_of(reader) == Mutes()

    def test_the_preferences_unmute_button_returns_to_the_list(self, reader_client, reader):
        angst = tag("Angst")
        mute_tag(user=reader, tag=angst)
        data = {"tag": angst.slug, "action": "unmute", "next": PREFERENCES + "#muted-tags"}
        assert reader_client.post(TOGGLE, data)["Location"] == PREFERENCES + "#muted-tags"
        assert mutes_of(reader) == Mutes()

    @pytest.mark.parametrize(
        "data, message",
        [
            ({"tag": "angst"}, "not understood"),
            ({"tag": "angst", "action": "hide"}, "not understood"),
            ({"action": "mute"}, "not understood"),
            ({"tag": "angst", "user": "writer", "action": "mute"}, "not understood"),
            ({"tag": "angst\x00", "action": "mute"}, "not understood"),
            ({"tag": "x" * 201, "action": "mute"}, "not understood"),
            ({"tag": "no-such-tag", "action": "mute"}, "no such tag"),
            ({"user": "nobody_here", "action": "mute"}, "Nobody here has that username"),
            ({"user": "reader", "action": "mute"}, "can't mute yourself"),
        ],
    )
    def test_bad_input_gives_a_message_and_changes_nothing(
        self, reader_client, writer, data, message
    ):
        tag("Angst")
        response = reader_client.post(TOGGLE, {**data, "next": "/works/"})
        assert response.status_code == 302 and response["Location"] == "/works/"
        assert message in " ".join(said(response))
        assert not Mute.objects.exists()

    def test_a_tag_readers_cannot_see_cannot_be_muted(self, reader_client, writer):
        make_work(writer, post=False, freeforms=["Secret Trope"])
        slug = Tag.objects.get(name="Secret Trope").slug
        response = reader_client.post(TOGGLE, {"tag": slug, "action": "mute"})
        assert "no such tag" in said(response)[0]
        assert not Mute.objects.exists()

    def test_a_muted_tag_gone_out_of_sight_can_still_be_unmuted(
        self, reader_client, reader, writer
    ):
        work = make_work(writer, freeforms=["Rare Trope"])
        rare = Tag.objects.get(name="Rare Trope")
        mute_tag(user=reader, tag=rare)
        Work.objects.filter(pk=work.pk).update(state=WorkState.DRAFT)
        response = reader_client.post(TOGGLE, {"tag": rare.slug, "action": "unmute"})
        assert said(response) == ["“Rare Trope” is no longer muted."]
        assert mutes_of(reader) == Mutes()

    @pytest.mark.parametrize("unsafe", ["https://evil.example/", "//evil.example/", "works/"])
    def test_next_goes_only_to_this_site(self, reader_client, unsafe):
        response = reader_client.post(
            TOGGLE, {"tag": tag("Angst").slug, "action": "mute", "next": unsafe}
        )
        assert response["Location"] == PREFERENCES

    def test_a_guest_is_sent_to_log_in_and_back_to_the_page(self, client):
        back = tag("Angst").get_absolute_url()
        response = client.post(TOGGLE, {"tag": "angst", "action": "mute", "next": back})
        assert response["Location"] == f"{reverse('login')}?next={back}"
        assert not Mute.objects.exists()

    def test_a_get_shows_the_preferences(self, reader_client):
        assert reader_client.get(TOGGLE)["Location"] == PREFERENCES

    def test_changes_need_the_csrf_token(self, reader):
        client = Client(enforce_csrf_checks=True)
        client.force_login(reader)
        response = client.post(TOGGLE, {"tag": tag("Angst").slug, "action": "mute"})
        assert response.status_code == 403
        assert not Mute.objects.exists()
