"""Wrangling pages: the queue with its suggestions, bulk actions, one tag's
forms, the log and undo, tag search and as-you-type suggestions."""

import pytest
from django.test import Client
from django.urls import reverse

from duster.tags.models import Tag, TagFandom, TagType, Wrangler, WranglingLog
from duster.tags.services import tags_find_or_create
from duster.tags.wrangling.services import tag_fandom_add, tag_make_canonical, tag_merge
from duster.testing.factories import make_user, make_work
from duster.testing.html import errors_at, form_values

pytestmark = pytest.mark.django_db

QUEUE = reverse("wrangling_queue")


def tag(name, tag_type=TagType.RELATIONSHIP, canonical=False) -> Tag:
    (found,) = tags_find_or_create(tag_type=tag_type, names=[name])
    if canonical:
        tag_make_canonical(actor=None, tags=[found])
        found.refresh_from_db()
    return found


@pytest.fixture
def author():
    return make_user("author")


@pytest.fixture
def wrangler_client(client):
    user = make_user("wrangler")
    Wrangler.objects.create(user=user)
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def pairing(author):
    """A canonical relationship in a fandom and three spellings on works."""
    fandom = tag("Slayers", TagType.FANDOM, canonical=True)
    canonical = tag("Buffy Summers/Spike", canonical=True)
    tag_fandom_add(actor=None, tags=[canonical], fandom=fandom)
    buffy = tag("Buffy Summers", TagType.CHARACTER, canonical=True)
    spike = tag("Spike", TagType.CHARACTER, canonical=True)
    tag_fandom_add(actor=None, tags=[buffy, spike], fandom=fandom)
    for name in ("Spike/Buffy", "buffy x spike", "Spike / Buffy Summers"):
        make_work(author, fandoms=["Slayers"], relationships=[name])
    return canonical


class TestAccess:
    @pytest.mark.parametrize("who", ["guest", "reader"])
    def test_only_wranglers_see_wrangling_pages(self, client, who, pairing):
        if who == "reader":
            client.force_login(make_user("reader"))
        spelling = Tag.objects.get(name="Spike/Buffy")
        assert client.get(QUEUE).status_code == 403
        assert client.get(reverse("tag_wrangle", args=[spelling.slug])).status_code == 403
        response = client.post(
            reverse("wrangling_bulk"), {"tags": [spelling.pk], "action": "canonical"}
        )
        assert response.status_code == 403
        assert not Tag.objects.get(pk=spelling.pk).canonical

    def test_a_superuser_may_wrangle(self, client):
        client.force_login(make_user("admin", is_superuser=True, is_staff=True))
        assert client.get(QUEUE).status_code == 200

    def test_wrangling_forms_need_the_csrf_token(self, pairing):
        user = make_user("w2")
        Wrangler.objects.create(user=user)
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        spelling = Tag.objects.get(name="Spike/Buffy")
        response = client.post(
            reverse("wrangling_bulk"), {"tags": [spelling.pk], "action": "canonical"}
        )
        assert response.status_code == 403
        page = client.get(reverse("tag_wrangle", args=[spelling.slug]))
        assert "csrfmiddlewaretoken" in form_values(page)


class TestQueue:
    def test_the_queue_proposes_the_canonical_tag_with_its_reason(self, wrangler_client, pairing):
        response = wrangler_client.get(QUEUE, {"type": "relationship"})
        html = response.content.decode()
        assert response.status_code == 200
        for name in ("Spike/Buffy", "buffy x spike", "Spike / Buffy Summers"):
            assert name in html
        assert "Buffy Summers/Spike" in html
        assert "Names the same characters" in html

    def test_accepting_the_three_suggestions_makes_synonyms_whose_works_are_found(
        self, wrangler_client, pairing, author
    ):
        for name in ("Spike/Buffy", "buffy x spike", "Spike / Buffy Summers"):
            spelling = Tag.objects.get(name=name)
            response = wrangler_client.post(
                reverse("wrangling_suggestion") + "?type=relationship",
                {"tag": spelling.pk, "canonical": pairing.pk, "decision": "accept"},
            )
            assert response.status_code == 302
            assert response["Location"] == QUEUE + "?type=relationship"
        assert set(pairing.synonyms.values_list("name", flat=True)) == {
            "Spike/Buffy",
            "buffy x spike",
            "Spike / Buffy Summers",
        }
        page = wrangler_client.get(pairing.works_url)
        assert page.status_code == 200
        assert page.content.decode().count('class="work blurb group"') == 3
        entry = WranglingLog.objects.filter(action="merge").earliest("pk")
        assert entry.actor == wrangler_client.user

    def test_a_rejected_suggestion_is_not_proposed_again(self, wrangler_client, pairing):
        spelling = Tag.objects.get(name="Spike/Buffy")
        wrangler_client.post(
            reverse("wrangling_suggestion"),
            {"tag": spelling.pk, "canonical": pairing.pk, "decision": "reject"},
        )
        assert spelling.merger is None
        page = wrangler_client.get(reverse("tag_wrangle", args=[spelling.slug]))
        assert "Suggestion" not in page.content.decode()

    def test_bulk_accept_makes_every_suggestion_a_synonym(self, wrangler_client, pairing):
        ids = list(
            Tag.objects.unwrangled().filter(type="relationship").values_list("pk", flat=True)
        )
        response = wrangler_client.post(
            reverse("wrangling_bulk") + "?type=relationship", {"tags": ids, "action": "accept"}
        )
        assert response.status_code == 302
        assert pairing.synonyms.count() == 3

    def test_bulk_merge_into_an_unknown_tag_is_refused_at_the_field_keeping_the_choice(
        self, wrangler_client, pairing
    ):
        spelling = Tag.objects.get(name="Spike/Buffy")
        response = wrangler_client.post(
            reverse("wrangling_bulk") + "?type=relationship",
            {"tags": [spelling.pk], "action": "merge", "target": "Nobody/Nothing"},
        )
        assert response.status_code == 400
        assert "no relationship tag called “Nobody/Nothing”" in errors_at(response, "target")
        values = form_values(response)
        assert values["target"] == ["Nobody/Nothing"]
        assert values["tags"] == [str(spelling.pk)]

    def test_bulk_with_no_tags_ticked_says_so(self, wrangler_client, pairing):
        response = wrangler_client.post(reverse("wrangling_bulk"), {"action": "canonical"})
        assert response.status_code == 400
        assert "Tick at least one tag" in response.content.decode()

    def test_an_unknown_fandom_filter_is_a_message_not_a_500(self, wrangler_client):
        response = wrangler_client.get(QUEUE, {"fandom": "No Such Fandom", "type": "character"})
        assert response.status_code == 200
        assert "no fandom tag called" in errors_at(response, "fandom")

    def test_the_queue_filters_by_fandom(self, wrangler_client, pairing, author):
        make_work(author, fandoms=["Other Fandom"], relationships=["Elsewhere/Nowhere"])
        response = wrangler_client.get(QUEUE, {"type": "relationship", "fandom": "Slayers"})
        html = response.content.decode()
        assert "Spike/Buffy" in html
        assert "Elsewhere/Nowhere" not in html

    def test_the_queue_query_count_does_not_grow_with_tags_and_works(
        self, wrangler_client, pairing, author
    ):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        def count():
            with CaptureQueriesContext(connection) as queries:
                response = wrangler_client.get(QUEUE, {"type": "relationship"})
            assert response.status_code == 200
            return len(queries)

        count()  # warm the per-process caches (site settings)
        before = count()
        for n in range(12):
            make_work(
                author, fandoms=["Slayers"], relationships=[f"Spike/Person {n}", "Spike/Buffy"]
            )
        assert count() == before

    def test_the_queue_shows_the_progress_of_unfinished_re_filter_jobs(self, wrangler_client):
        from django.utils import timezone

        from duster.tags.models import RefilterJob

        RefilterJob.objects.create(
            reason="merge into “Buffy Summers/Spike”", total=100_000, done=25_000
        )
        RefilterJob.objects.create(
            reason="an old rename", total=10, done=10, finished_at=timezone.now()
        )
        html = wrangler_client.get(QUEUE, {"type": "relationship"}).content.decode()
        assert "Works being re-filtered" in html
        assert "merge into “Buffy Summers/Spike”" in html
        assert '<progress max="100000" value="25000">' in html
        assert "an old rename" not in html


class TestTagPage:
    def test_merge_into_a_tag_of_another_type_is_refused_at_the_field(
        self, wrangler_client, pairing
    ):
        spelling = Tag.objects.get(name="Spike/Buffy")
        url = reverse("tag_wrangle_action", args=[spelling.slug, "merge"])
        response = wrangler_client.post(url, {"merge-into": "Slayers"})
        assert response.status_code == 400
        assert "no relationship tag called “Slayers”" in errors_at(response, "merge-into")
        assert form_values(response)["merge-into"] == ["Slayers"]

    def test_a_cycle_is_refused_at_the_meta_field(self, wrangler_client):
        tv = tag("Slayers (TV)", TagType.FANDOM, canonical=True)
        all_media = tag("Slayers - All Media", TagType.FANDOM, canonical=True)
        wrangler_client.post(
            reverse("tag_wrangle_action", args=[tv.slug, "meta_add"]),
            {"meta_add-meta": "Slayers - All Media"},
        )
        response = wrangler_client.post(
            reverse("tag_wrangle_action", args=[all_media.slug, "meta_add"]),
            {"meta_add-meta": "slayers (tv)"},
        )
        assert response.status_code == 400
        assert "cycle" in errors_at(response, "meta_add-meta")

    def test_refusing_to_un_make_a_canonical_tag_says_why(self, wrangler_client, pairing):
        tag_merge(actor=None, tags=[Tag.objects.get(name="Spike/Buffy")], into=pairing)
        response = wrangler_client.post(
            reverse("tag_wrangle_action", args=[pairing.slug, "uncanonical"])
        )
        assert response.status_code == 400
        assert "has synonyms" in response.content.decode()

    def test_a_tag_is_renamed_and_put_in_a_fandom(self, wrangler_client, pairing):
        fandom = Tag.objects.get(name="Slayers")
        response = wrangler_client.post(
            reverse("tag_wrangle_action", args=[pairing.slug, "rename"]),
            {"rename-name": "Buffy Summers/William the Bloody"},
        )
        assert response.status_code == 302
        pairing.refresh_from_db()
        assert pairing.name == "Buffy Summers/William the Bloody"
        assert Tag.objects.get(name="Buffy Summers/Spike").merger == pairing
        other = tag("Angst", TagType.FREEFORM)
        wrangler_client.post(
            reverse("tag_wrangle_action", args=[other.slug, "fandom_add"]),
            {"fandom_add-fandom": "slayers"},
        )
        assert TagFandom.objects.filter(tag=other, fandom=fandom).exists()

    def test_an_unknown_action_is_a_404(self, wrangler_client, pairing):
        url = reverse("tag_wrangle_action", args=[pairing.slug, "explode"])
        assert wrangler_client.post(url).status_code == 404


class TestLog:
    def test_anyone_can_read_a_tags_log_and_only_wranglers_undo(self, client, pairing):
        response = client.get(reverse("tag_log", args=[pairing.slug]))
        assert response.status_code == 200
        assert "canonical" in response.content.decode()
        assert "Undo" not in response.content.decode()
        entry = WranglingLog.objects.filter(tag=pairing).earliest("pk")
        assert client.post(reverse("wrangling_undo", args=[entry.pk])).status_code == 403

    def test_a_wrangler_undoes_the_last_change(self, wrangler_client, pairing):
        spelling = Tag.objects.get(name="Spike/Buffy")
        tag_merge(actor=None, tags=[spelling], into=pairing)
        page = wrangler_client.get(reverse("tag_log", args=[spelling.slug]))
        assert "Undo the last change (merge)" in page.content.decode()
        entry = WranglingLog.objects.get(tag=spelling, action="merge")
        response = wrangler_client.post(reverse("wrangling_undo", args=[entry.pk]))
        assert response.status_code == 302
        spelling.refresh_from_db()
        assert spelling.merger is None


class TestSearch:
    def test_tags_are_found_by_name_and_type_without_javascript(self, client, pairing):
        response = client.get(reverse("tag_search"), {"q": "spike", "type": "relationship"})
        html = response.content.decode()
        assert response.status_code == 200
        assert "Buffy Summers/Spike" in html and "Spike/Buffy" in html
        assert ">Spike</a>" not in html  # the character is of another type

    def test_a_bad_type_is_a_message_at_the_field(self, client):
        response = client.get(reverse("tag_search"), {"q": "x", "type": "nonsense"})
        assert response.status_code == 200
        assert "valid choice" in errors_at(response, "type")

    def test_as_you_type_suggests_canonical_tags_with_their_fandom(self, client, pairing):
        response = client.get(reverse("tag_autocomplete"), {"q": "buf", "type": "relationship"})
        assert response.json() == {
            "tags": [{"name": "Buffy Summers/Spike", "slug": pairing.slug, "fandoms": ["Slayers"]}]
        }
        pairing.characters.set(Tag.objects.filter(type=TagType.CHARACTER))
        by_character = client.get(
            reverse("tag_autocomplete"), {"q": "spike", "type": "relationship"}
        )
        assert [t["name"] for t in by_character.json()["tags"]] == ["Buffy Summers/Spike"]

    def test_a_readers_box_gets_suggestions_of_every_type(self, client, pairing):
        response = client.get(reverse("tag_autocomplete"), {"q": "s", "type": "any"})
        names = [t["name"] for t in response.json()["tags"]]
        assert "Slayers" in names  # a fandom
        assert "Spike" in names  # a character
        assert names == sorted(names, key=str.casefold)

    @pytest.mark.parametrize(
        "params",
        [{}, {"q": "buf"}, {"q": "buf", "type": "rating"}, {"q": "!!"}, {"q": "!!", "type": "any"}],
    )
    def test_as_you_type_answers_nothing_for_bad_input(self, client, pairing, params):
        response = client.get(reverse("tag_autocomplete"), params)
        assert response.status_code == 200
        assert response.json() == {"tags": []}


def test_the_posting_form_asks_for_suggestions_on_every_tag_field(client):
    client.force_login(make_user("writer"))
    html = client.get(reverse("work_new")).content.decode()
    for tag_type in ("fandom", "relationship", "character", "freeform"):
        assert f'data-tag-suggest="{tag_type}"' in html
    assert 'src="/static/duster/tag-suggest.js"' in html or "tag-suggest" in html
    assert f'data-url="{reverse("tag_autocomplete")}"' in html
    assert 'nonce="' in html.split("tag-suggest")[1].split(">")[0]


def _queries(client, url, params=None) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url, params)  # warm the per-process caches (site settings)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


def test_the_log_and_search_query_counts_do_not_grow(wrangler_client, pairing):
    log_url = reverse("tag_log", args=[pairing.slug])
    search = reverse("tag_search")
    before = (_queries(wrangler_client, log_url), _queries(wrangler_client, search, {"q": "b"}))
    for n in range(8):
        spelling = tag(f"Buffy/Spike {n}")
        tag_merge(actor=None, tags=[spelling], into=pairing)
        tag(f"Buffy Summers/Person {n}", canonical=True)
        tag_merge(actor=wrangler_client.user, tags=[tag(f"buffy {n}")], into=pairing)
    tag_fandom_add(
        actor=wrangler_client.user, tags=[pairing], fandom=tag("B", TagType.FANDOM, canonical=True)
    )
    after = (_queries(wrangler_client, log_url), _queries(wrangler_client, search, {"q": "b"}))
    assert after == before


@pytest.mark.parametrize("name", ["Wrangle", "Search", "Autocomplete"])
def test_tags_named_like_wrangling_pages_keep_their_own_pages(client, author, name):
    make_work(author, freeforms=[name])
    found = Tag.objects.get(name=name)
    assert found.get_absolute_url() == f"/tags/{name.lower()}/"
    response = client.get(found.get_absolute_url())
    assert response.status_code == 200
    assert name in response.content.decode()
    assert client.get(reverse("tag_log", args=[found.slug])).status_code == 200
