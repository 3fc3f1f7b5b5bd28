"""The one visibility rule (Work.objects.visible_to) and every selector built on it."""

import re
from html import unescape
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.test import Client

from duster.tags.models import Tag, TagType
from duster.testing.factories import make_series, make_user, make_work
from duster.works import selectors
from duster.works.models import Creatorship, Work, WorkState
from duster.works.services.chapters import chapter_create
from duster.works.services.series import series_add_work
from duster.works.services.works import creatorship_respond, work_post, work_set_tags

pytestmark = pytest.mark.django_db

GUEST = AnonymousUser()


@pytest.fixture
def people():
    return SimpleNamespace(
        author=make_user("author"),
        co_author=make_user("co_author"),
        invitee=make_user("invitee"),
        reader=make_user("reader"),
        admin=make_user("admin", is_staff=True, is_superuser=True),
    )


def _accept(user, work):
    creatorship = Creatorship.objects.get(work=work, pseud__user=user)
    creatorship_respond(creatorship=creatorship, accept=True)


def _hide(work):
    Work.objects.filter(pk=work.pk).update(state=WorkState.HIDDEN)


def _text(response) -> str:
    html = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(unescape(html).split())


def _visible_titles(user):
    return set(Work.objects.visible_to(user).values_list("title", flat=True))


@pytest.fixture
def works(people):
    """One work in each state, all by `author`."""
    posted = make_work(people.author, title="Posted")
    restricted = make_work(people.author, title="Restricted", restricted=True)
    draft = make_work(
        people.author,
        title="Draft",
        post=False,
        co_creators=[people.co_author.default_pseud, people.invitee.default_pseud],
    )
    _accept(people.co_author, draft)
    hidden = make_work(people.author, title="Hidden")
    _hide(hidden)
    return SimpleNamespace(posted=posted, restricted=restricted, draft=draft, hidden=hidden)


class TestVisibleTo:
    def test_a_guest_sees_posted_unrestricted_works_only(self, works):
        assert _visible_titles(GUEST) == {"Posted"}
        assert _visible_titles(None) == {"Posted"}

    def test_a_logged_in_reader_also_sees_restricted_works(self, people, works):
        assert _visible_titles(people.reader) == {"Posted", "Restricted"}

    def test_creators_see_their_drafts_and_hidden_works(self, people, works):
        assert _visible_titles(people.author) == {"Posted", "Restricted", "Draft", "Hidden"}

    def test_an_accepted_co_creator_sees_the_draft(self, people, works):
        assert _visible_titles(people.co_author) == {"Posted", "Restricted", "Draft"}

    def test_an_invited_co_creator_does_not_see_the_draft_until_accepting(self, people, works):
        assert _visible_titles(people.invitee) == {"Posted", "Restricted"}
        assert works.draft.credited_pseuds() == [
            people.author.default_pseud,
            people.co_author.default_pseud,
        ]
        with pytest.raises(Http404):
            selectors.work_for_reader(works.draft.pk, people.invitee)

        _accept(people.invitee, works.draft)
        assert "Draft" in _visible_titles(people.invitee)
        work = selectors.work_for_reader(works.draft.pk, people.invitee)
        assert people.invitee.default_pseud in work.credited_pseuds()
        assert work.is_creator(people.invitee)

    def test_a_declined_invitation_shows_nothing(self, people, works):
        creatorship = Creatorship.objects.get(work=works.draft, pseud__user=people.invitee)
        creatorship_respond(creatorship=creatorship, accept=False)
        assert "Draft" not in _visible_titles(people.invitee)

    def test_staff_are_not_creators_and_do_not_see_drafts_or_hidden_works(self, people, works):
        assert _visible_titles(people.admin) == {"Posted", "Restricted"}

    def test_a_posted_work_with_an_invited_co_creator_credits_only_the_accepted(self, people):
        work = make_work(people.author, title="Shared", co_creators=[people.invitee.default_pseud])
        listed = Work.objects.visible_to(GUEST).for_listing().get(pk=work.pk)
        assert listed.credited_pseuds() == [people.author.default_pseud]
        assert not Work.objects.credited_to(people.invitee, viewer=GUEST).exists()

    def test_visibility_follows_the_state_when_a_draft_is_posted(self, people, works):
        work_post(work=works.draft)
        assert "Draft" in _visible_titles(GUEST)


class TestCreditedTo:
    def test_another_viewer_sees_a_creators_visible_works(self, people, works):
        credited = Work.objects.credited_to(people.author, viewer=people.reader)
        visible = credited.visible_to(people.reader)
        assert set(visible.values_list("title", flat=True)) == {"Posted", "Restricted"}
        guest_view = Work.objects.credited_to(people.author, viewer=GUEST).visible_to(GUEST)
        assert list(guest_view.values_list("title", flat=True)) == ["Posted"]

    def test_anonymous_works_are_left_out_for_others_but_shown_to_the_creator(self, people):
        make_work(people.author, title="Signed")
        make_work(people.author, title="Unsigned", anonymous=True)
        for viewer in (people.reader, GUEST):
            credited = Work.objects.credited_to(people.author, viewer=viewer)
            assert list(credited.values_list("title", flat=True)) == ["Signed"]
        own = Work.objects.credited_to(people.author, viewer=people.author)
        assert set(own.values_list("title", flat=True)) == {"Signed", "Unsigned"}

    def test_a_shared_work_is_credited_to_each_accepted_creator_once(self, people, works):
        credited = Work.objects.credited_to(people.co_author, viewer=people.co_author)
        assert list(credited.values_list("title", flat=True)) == ["Draft"]
        pen_name = people.author.pseuds.create(name="Lantern")
        Creatorship.objects.create(work=works.posted, pseud=pen_name, approved=True, position=5)
        author_own = Work.objects.credited_to(people.author, viewer=people.author)
        assert sorted(w.title for w in author_own) == [
            "Draft",
            "Hidden",
            "Posted",
            "Restricted",
        ]

    def test_an_invitee_is_not_credited_before_accepting(self, people, works):
        credited = Work.objects.credited_to(people.invitee, viewer=people.invitee)
        assert not credited.exists()
        _accept(people.invitee, works.draft)
        credited = Work.objects.credited_to(people.invitee, viewer=people.invitee)
        assert list(credited.values_list("title", flat=True)) == ["Draft"]


class TestWorkSelectors:
    @pytest.mark.parametrize(
        ("viewer", "visible"),
        [
            ("guest", {"posted"}),
            ("reader", {"posted", "restricted"}),
            ("invitee", {"posted", "restricted"}),
            ("co_author", {"posted", "restricted", "draft"}),
            ("author", {"posted", "restricted", "draft", "hidden"}),
        ],
    )
    def test_work_for_reader_finds_only_what_the_viewer_may_see(
        self, people, works, viewer, visible
    ):
        user = GUEST if viewer == "guest" else getattr(people, viewer)
        for name in ("posted", "restricted", "draft", "hidden"):
            work = getattr(works, name)
            if name in visible:
                assert selectors.work_for_reader(work.pk, user).pk == work.pk
            else:
                with pytest.raises(Http404):
                    selectors.work_for_reader(work.pk, user)

    def test_work_for_creator_refuses_readers_and_invitees(self, people, works):
        for user in (GUEST, people.reader, people.invitee):
            with pytest.raises(Http404):
                selectors.work_for_creator(works.posted.pk, user)
        assert selectors.work_for_creator(works.draft.pk, people.co_author).pk == works.draft.pk

    def test_unposted_chapters_are_hidden_from_readers_but_shown_to_creators(self, people):
        work = make_work(people.author, chapters=2, expected_chapters=None)
        chapter_create(work=work, fields={"body": "<p>Coming soon.</p>"}, post=False)
        work = selectors.work_for_reader(work.pk, people.author)
        assert [c.position for c in selectors.chapters_for_reader(work, people.author)] == [
            1,
            2,
            3,
        ]
        for user in (GUEST, people.reader):
            shown = selectors.work_for_reader(work.pk, user)
            assert [c.position for c in selectors.chapters_for_reader(shown, user)] == [1, 2]

    def test_creator_tag_facets_count_only_visible_works(self, people):
        make_work(people.author, relationships=["Mara/Ilse"])
        make_work(people.author, relationships=["Mara/Ilse"], restricted=True)
        make_work(people.author, relationships=["Mara/Ilse", "Ilse/Tom"], post=False)

        def facets(viewer):
            works = Work.objects.credited_to(people.author, viewer=viewer).visible_to(viewer)
            return [
                (t.name, t.count)
                for t in selectors.tag_facets(works, [TagType.RELATIONSHIP])[TagType.RELATIONSHIP]
            ]

        assert facets(GUEST) == [("Mara/Ilse", 1)]
        assert facets(people.reader) == [("Mara/Ilse", 2)]
        assert facets(people.author) == [("Mara/Ilse", 3), ("Ilse/Tom", 1)]

    def test_kept_facet_counts_are_per_viewer_and_change_with_the_works(self, people):
        make_work(people.author, relationships=["Mara/Ilse"])
        make_work(people.author, relationships=["Mara/Ilse"], restricted=True)

        def facets(viewer):
            works = Work.objects.credited_to(people.author, viewer=viewer).visible_to(viewer)
            kept = selectors.tag_facets_kept(works, [TagType.RELATIONSHIP])
            return [(t.name, t.count) for t in kept[TagType.RELATIONSHIP]]

        assert facets(GUEST) == [("Mara/Ilse", 1)]
        assert facets(people.reader) == [("Mara/Ilse", 2)]
        assert facets(GUEST) == [("Mara/Ilse", 1)]  # kept, and kept apart
        make_work(people.author, relationships=["Ilse/Tom"])
        assert facets(GUEST) == [("Ilse/Tom", 1), ("Mara/Ilse", 1)]
        Work.objects.filter(restricted=True).update(restricted=False)
        assert facets(GUEST) == [("Mara/Ilse", 2), ("Ilse/Tom", 1)]

    def test_pending_invitations_list_only_unanswered_ones(self, people, works):
        assert [c.work for c in selectors.pending_invitations(people.invitee)] == [works.draft]
        assert not selectors.pending_invitations(people.co_author).exists()
        _accept(people.invitee, works.draft)
        assert not selectors.pending_invitations(people.invitee).exists()


class TestSeriesSelectors:
    @pytest.fixture
    def series(self, people, works):
        """Posted, Restricted, Draft, Hidden, in that order."""
        return make_series(
            people.author,
            [works.posted, works.restricted, works.draft, works.hidden],
            title="Lamps",
        )

    def _titles(self, series, user):
        _, entries = selectors.series_for_reader(series.pk, user)
        return [entry.work.title for entry in entries]

    def test_series_for_reader_hides_works_the_reader_may_not_see(self, people, series):
        assert self._titles(series, GUEST) == ["Posted"]
        assert self._titles(series, people.reader) == ["Posted", "Restricted"]
        assert self._titles(series, people.invitee) == ["Posted", "Restricted"]
        assert self._titles(series, people.author) == ["Posted", "Restricted", "Draft", "Hidden"]

    def test_a_series_of_nothing_a_guest_may_see_does_not_exist_for_them(self, people, works):
        series = make_series(people.author, [works.restricted, works.draft], title="Locked")
        with pytest.raises(Http404):
            selectors.series_for_reader(series.pk, GUEST)
        assert self._titles(series, people.reader) == ["Restricted"]

    def test_an_empty_series_shows_only_to_its_creator(self, people):
        series = make_series(people.author, [], title="Empty")
        _, entries = selectors.series_for_reader(series.pk, people.author)
        assert entries == []
        for user in (GUEST, people.reader):
            with pytest.raises(Http404):
                selectors.series_for_reader(series.pk, user)

    def test_an_unknown_series_is_not_found(self, people):
        with pytest.raises(Http404):
            selectors.series_for_reader(999_999, people.author)

    def test_parts_are_numbered_among_the_works_the_reader_may_see(self, people, works, series):
        extra = make_work(people.author, title="Epilogue")
        series_add_work(series=series, work=extra)

        (guest_place,) = selectors.series_places(extra, GUEST)
        assert guest_place.part == 2
        assert guest_place.previous == works.posted
        assert guest_place.next is None

        (reader_place,) = selectors.series_places(extra, people.reader)
        assert reader_place.part == 3
        assert reader_place.previous == works.restricted

        (author_place,) = selectors.series_places(works.restricted, people.author)
        assert author_place.part == 2
        assert author_place.next == works.draft

        (guest_first,) = selectors.series_places(works.posted, GUEST)
        assert guest_first.previous is None
        assert guest_first.next == extra

    def test_series_credited_to_counts_only_visible_works(self, people, works, series):
        make_series(people.author, [works.draft], title="Drafts only")

        def totals(viewer):
            return {
                s.title: s.work_total
                for s in selectors.series_credited_to(people.author, viewer=viewer)
            }

        assert totals(GUEST) == {"Lamps": 1}
        assert totals(people.reader) == {"Lamps": 2}
        assert totals(people.author) == {"Lamps": 4, "Drafts only": 1}

    def test_series_credited_to_credits_the_creators(self, people, series):
        (listed,) = selectors.series_credited_to(people.author, viewer=GUEST)
        assert listed.credited_pseuds() == [people.author.default_pseud]
        assert not selectors.series_credited_to(people.reader, viewer=GUEST).exists()


class TestTagPages:
    """A tag exists for a reader only through the works they may see."""

    @pytest.fixture
    def tagged(self, people, works):
        """A relationship on each of the four works, used there only, and one
        on the posted and the restricted work."""
        for name in ("posted", "restricted", "draft", "hidden"):
            extra = ["Shared/Pair"] if name in ("posted", "restricted") else []
            work_set_tags(
                work=getattr(works, name),
                tags={
                    "fandoms": ["Lamplighter Chronicles"],
                    "relationships": [f"Only/{name}", *extra],
                },
            )
        return {tag.name: tag.slug for tag in Tag.objects.all()}

    def _client(self, people, who):
        client = Client()
        if who != "guest":
            client.force_login(getattr(people, who))
        return client

    @pytest.mark.parametrize(
        ("who", "shown"),
        [
            ("guest", {"posted"}),
            ("reader", {"posted", "restricted"}),
            ("invitee", {"posted", "restricted"}),
            ("co_author", {"posted", "restricted", "draft"}),
            ("author", {"posted", "restricted", "draft", "hidden"}),
        ],
    )
    def test_a_tag_only_on_works_the_reader_may_not_see_is_not_found(
        self, people, tagged, who, shown
    ):
        client = self._client(people, who)
        for name in ("posted", "restricted", "draft", "hidden"):
            slug = tagged[f"Only/{name}"]
            for url in (f"/tags/{slug}/", f"/tags/{slug}/works"):
                response = client.get(url)
                if name in shown:
                    assert response.status_code == 200, (name, url)
                else:
                    assert response.status_code == 404, (name, url)
                    assert f"Only/{name}" not in response.content.decode(), (name, url)

    @pytest.mark.parametrize(("who", "total"), [("guest", "1 work"), ("reader", "2 works")])
    def test_a_tag_page_counts_only_what_the_reader_may_see(self, people, tagged, who, total):
        client = self._client(people, who)
        detail = _text(client.get(f"/tags/{tagged['Shared/Pair']}/"))
        assert f"Relationship · {total}" in detail
        assert ("Restricted" in detail) == (who == "reader")
        assert f"{total}" in _text(client.get(f"/tags/{tagged['Shared/Pair']}/works"))

    @pytest.mark.parametrize(
        ("who", "unseen"),
        [
            ("guest", ("restricted", "draft", "hidden")),
            ("reader", ("draft", "hidden")),
            ("invitee", ("draft", "hidden")),
        ],
    )
    def test_a_creator_page_filter_does_not_echo_a_tag_the_reader_cannot_see(
        self, people, tagged, who, unseen
    ):
        client = self._client(people, who)
        for name in unseen:
            url = f"/users/author/works?relationship={tagged[f'Only/{name}']}"
            response = client.get(url)
            assert response.status_code == 200
            assert f"Only/{name}" not in response.content.decode(), url
            assert "None of these works has that relationship; left out." in _text(response), url

    @pytest.mark.parametrize("who", ["guest", "reader", "author"])
    def test_a_creator_page_filter_echoes_a_tag_the_reader_can_see(self, people, tagged, who):
        client = self._client(people, who)
        response = client.get(f"/users/author/works?relationship={tagged['Only/posted']}")
        assert 'name="include" value="Only/posted"' in response.content.decode()
        assert "1 work found" in _text(response)

    def test_the_creator_sees_the_tags_of_their_drafts_and_hidden_works(self, people, tagged):
        client = self._client(people, "author")
        for name in ("draft", "hidden"):
            slug = tagged[f"Only/{name}"]
            response = client.get(f"/users/author/works?relationship={slug}")
            assert f'name="include" value="Only/{name}"' in response.content.decode()
            # Tag pages list posted works; the creator's own tag is not a 404.
            assert "0 works" in _text(client.get(f"/tags/{slug}/"))
