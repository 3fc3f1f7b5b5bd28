"""Saved searches: kept in the search page's one spelling of its query,
listed on their own page, added from a search and deleted."""

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from duster.accounts import mutes as mutes_module
from duster.accounts.models import SavedSearch
from duster.accounts.mutes import saved_search_add, saved_search_delete
from duster.accounts.tests.helpers import text_of
from duster.testing.factories import make_user

pytestmark = pytest.mark.django_db

LIST = "/account/preferences/searches/"
ADD = "/account/preferences/searches/add"
SEARCH = "/works/search"
MESSY = "sort=kudos&include=Angst&rating=explicit&include=angst&page=7&sort=nonsense&complete=1"
TIDY = "include=Angst&rating=explicit&complete=1"


def said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def reader():
    return make_user("reader")


@pytest.fixture
def reader_client(reader):
    client = Client()
    client.force_login(reader)
    return client


class TestSavedSearchAdd:
    def test_the_query_is_kept_in_the_search_pages_one_spelling(self, reader):
        search = saved_search_add(user=reader, name="  Sad   but good ", query=MESSY)
        assert (search.name, search.query) == ("Sad but good", TIDY)
        assert search.get_absolute_url() == f"{SEARCH}?{TIDY}"

    @pytest.mark.parametrize(
        "name, query, field, message",
        [
            ("   ", TIDY, "name", "Give the search a name."),
            ("x" * 101, TIDY, "name", "at most 100 characters"),
            ("All", "", "query", "nothing to save"),
            ("All", "page=3&sort=bogus&rating=nope", "query", "nothing to save"),
            ("Huge", "q=" + "a" * 20_001, "query", "too long"),
            ("Many", "&".join(["a=1"] * 2500), "query", "too long"),
        ],
    )
    def test_bad_input_is_refused_at_its_field(self, reader, name, query, field, message):
        with pytest.raises(ValidationError) as refused:
            saved_search_add(user=reader, name=name, query=query)
        assert message in " ".join(refused.value.message_dict[field])
        assert not SavedSearch.objects.exists()

    def test_a_name_is_used_once_per_reader(self, reader):
        saved_search_add(user=reader, name="Angst", query=TIDY)
        with pytest.raises(ValidationError, match="with this name already"):
            saved_search_add(user=reader, name="Angst", query="q=other")
        saved_search_add(user=make_user("other"), name="Angst", query=TIDY)

    def test_a_reader_keeps_at_most_the_limit(self, reader, monkeypatch):
        monkeypatch.setattr(mutes_module, "SAVED_SEARCHES_MAX", 2)
        saved_search_add(user=reader, name="One", query="q=one")
        saved_search_add(user=reader, name="Two", query="q=two")
        with pytest.raises(ValidationError, match="at most 2 saved searches"):
            saved_search_add(user=reader, name="Three", query="q=three")

    def test_the_real_limit_is_fifty(self):
        assert mutes_module.SAVED_SEARCHES_MAX == 50

    def test_deleting_another_readers_search_is_refused(self, reader):
        theirs = saved_search_add(user=make_user("other"), name="Theirs", query=TIDY)
        with pytest.raises(ValidationError, match="doesn't exist"):
            saved_search_delete(user=reader, pk=theirs.pk)
        assert SavedSearch.objects.filter(pk=theirs.pk).exists()


class TestSavedSearchPages:
    def test_saving_from_a_search_returns_to_it_with_a_message(self, reader_client, reader):
        response = reader_client.post(ADD, {"name": "Sad", "query": MESSY})
        assert response["Location"] == f"{SEARCH}?{TIDY}"
        assert "saved as “Sad”" in said(response)[0]
        assert SavedSearch.objects.get(user=reader).query == TIDY

    @pytest.mark.parametrize(
        "data, back, message",
        [
            ({"name": "", "query": MESSY}, f"{SEARCH}?{TIDY}", "Give the search a name."),
            ({"name": "All", "query": ""}, SEARCH, "nothing to save"),
            ({"name": "Nul\x00", "query": MESSY}, f"{SEARCH}?{TIDY}", "Null characters"),
            ({"name": "Huge", "query": "&".join(["a=1"] * 2500)}, SEARCH, "too long"),
        ],
    )
    def test_bad_input_returns_to_the_search_with_a_message(
        self, reader_client, data, back, message
    ):
        response = reader_client.post(ADD, data)
        assert response.status_code == 302 and response["Location"] == back
        assert message in " ".join(said(response))
        assert not SavedSearch.objects.exists()

    def test_the_list_links_each_search_and_offers_to_delete_it(self, reader_client, reader):
        saved_search_add(user=reader, name="Sad", query=TIDY)
        saved_search_add(user=make_user("other"), name="Not mine", query="q=x")
        page = reader_client.get(LIST)
        html = page.content.decode()
        assert f'href="{SEARCH}?{TIDY.replace("&", "&amp;")}">Sad</a>' in html
        assert 'aria-label="Delete Sad"' in html
        assert "Not mine" not in text_of(page)

    def test_the_list_says_when_there_is_none(self, reader_client):
        assert "You have no saved searches." in text_of(reader_client.get(LIST))

    def test_the_list_costs_the_same_queries_for_one_search_or_many(self, reader_client, reader):
        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                assert reader_client.get(LIST).status_code == 200
            return len(captured)

        saved_search_add(user=reader, name="First", query="q=first")
        queries()  # the first page of a session reads what later ones find cached
        one = queries()
        for number in range(10):
            saved_search_add(user=reader, name=f"Search {number}", query=f"q={number}")
        assert queries() == one

    def test_deleting_a_search(self, reader_client, reader):
        search = saved_search_add(user=reader, name="Sad", query=TIDY)
        response = reader_client.post(reverse("saved_search_delete", args=[search.pk]))
        assert response["Location"] == LIST
        assert said(response) == ["The saved search “Sad” was deleted."]
        assert not SavedSearch.objects.exists()

    def test_deleting_another_readers_search_gives_a_message(self, reader_client):
        theirs = saved_search_add(user=make_user("other"), name="Theirs", query=TIDY)
        response = reader_client.post(reverse("saved_search_delete", args=[theirs.pk]))
        assert response["Location"] == LIST
        assert "doesn't exist" in said(response)[0]
        assert SavedSearch.objects.filter(pk=theirs.pk).exists()

    def test_an_id_no_database_holds_is_not_found(self, reader_client):
        assert reader_client.post(f"{LIST}{'9' * 19}/delete").status_code == 404

    @pytest.mark.parametrize("url", [LIST, ADD, f"{LIST}1/delete"])
    def test_guests_are_sent_to_log_in(self, client, url):
        response = client.post(url) if url != LIST else client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    @pytest.mark.parametrize("url", [ADD, f"{LIST}1/delete"])
    def test_changes_are_posted_not_linked(self, reader_client, url):
        assert reader_client.get(url).status_code == 405

    def test_changes_need_the_csrf_token(self, reader):
        client = Client(enforce_csrf_checks=True)
        client.force_login(reader)
        assert client.post(ADD, {"name": "Sad", "query": TIDY}).status_code == 403
        assert not SavedSearch.objects.exists()

    def test_preferences_link_to_the_saved_searches(self, reader_client):
        assert f'href="{LIST}"' in reader_client.get("/account/preferences/").content.decode()
