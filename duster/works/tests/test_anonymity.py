"""An anonymous work never names its creator to anyone but its creators: not
through a series (every series is credited to a named pseud), nor a creator's
pages, counts and facets, nor a tag page. Each page is checked as a guest, as
another member and as the creator."""

import re
from html import unescape

import pytest
from django.test import Client

from duster.tags.models import Tag
from duster.testing.factories import make_series, make_user, make_work
from duster.works.models import Creatorship
from duster.works.services.series import series_add_work
from duster.works.services.works import creatorship_respond

pytestmark = pytest.mark.django_db

OTHERS = ("guest", "member")
EVERYONE = ("guest", "member", "creator")


def text(response) -> str:
    html = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(unescape(html).split())


class Shelf:
    """alice's signed work and anonymous work in one series, a series holding
    only the anonymous work, and a relationship tag only the anonymous work has."""

    def __init__(self):
        self.alice = make_user("alice")
        self.member = make_user("member")
        self.signed = make_work(self.alice, title="Signed Story", relationships=["Ada/Bram"])
        self.secret = make_work(
            self.alice,
            title="Secret Story",
            anonymous=True,
            relationships=["Ada/Bram", "Hidden/Hand"],
        )
        self.lamps = make_series(self.alice, works=[self.signed, self.secret], title="Lamps")
        self.alone = make_series(self.alice, works=[self.secret], title="Only Secrets")
        self.hidden_hand = Tag.objects.get(name="Hidden/Hand")

    def client(self, who: str) -> Client:
        client = Client()
        if who == "member":
            client.force_login(self.member)
        elif who == "creator":
            client.force_login(self.alice)
        return client


@pytest.fixture
def shelf():
    return Shelf()


def assert_no_alice(response):
    """For a guest or another member nothing on the page names alice."""
    assert "alice" not in response.content.decode().lower()


@pytest.mark.parametrize("who", EVERYONE)
def test_the_anonymous_work_page_links_no_series(shelf, who):
    response = shelf.client(who).get(shelf.secret.get_absolute_url())
    page = text(response)
    assert "by Anonymous" in page
    if who == "creator":
        assert "Part 2 of Lamps" in page and "Part 1 of Only Secrets" in page
        assert f'href="{shelf.lamps.get_absolute_url()}"' in response.content.decode()
    else:
        assert "Part " not in page
        assert "Lamps" not in page and "Only Secrets" not in page
        assert "Previous work" not in page
        assert_no_alice(response)


@pytest.mark.parametrize("who", EVERYONE)
def test_a_neighbouring_work_does_not_point_to_the_anonymous_one(shelf, who):
    response = shelf.client(who).get(shelf.signed.get_absolute_url())
    html = response.content.decode()
    assert "Part 1 of Lamps" in text(response)
    linked = f'href="{shelf.secret.get_absolute_url()}"' in html
    assert linked == (who == "creator")


@pytest.mark.parametrize("who", EVERYONE)
def test_the_series_page_lists_and_counts_the_anonymous_work_only_for_its_creator(shelf, who):
    response = shelf.client(who).get(shelf.lamps.get_absolute_url())
    assert response.status_code == 200
    page = text(response)
    assert "Creators: alice" in page
    assert "Signed Story" in page
    note = "Anonymous works are listed here only for their creators"
    if who == "creator":
        assert "Secret Story" in page and "Works: 2" in page
        assert page.count(note) == 1
    else:
        assert "Secret Story" not in page and "Works: 1" in page
        assert "Anonymous" not in page


@pytest.mark.parametrize("who", EVERYONE)
def test_a_series_of_only_anonymous_works_does_not_exist_for_others(shelf, who):
    response = shelf.client(who).get(shelf.alone.get_absolute_url())
    if who == "creator":
        assert response.status_code == 200
        assert "Secret Story" in text(response)
    else:
        assert response.status_code == 404
        assert "Only Secrets" not in response.content.decode()


@pytest.mark.parametrize("who", EVERYONE)
def test_the_creator_page_neither_lists_nor_counts_the_anonymous_work(shelf, who):
    response = shelf.client(who).get("/users/alice/")
    page = text(response)
    if who == "creator":
        assert "Secret Story" in page
        assert "Lamps (2 works)" in page and "Only Secrets (1 work)" in page
        assert "All 2 works" in page
    else:
        assert "Secret Story" not in page
        assert "Lamps (1 work)" in page and "Only Secrets" not in page
        assert "All 1 work" in page


@pytest.mark.parametrize("who", EVERYONE)
def test_the_creator_series_page_counts_the_anonymous_work_only_for_its_creator(shelf, who):
    page = text(shelf.client(who).get("/users/alice/series"))
    if who == "creator":
        assert "Lamps 2 works" in page and "Only Secrets 1 work" in page
    else:
        assert "Lamps 1 work" in page and "Only Secrets" not in page


@pytest.mark.parametrize("who", EVERYONE)
def test_the_creator_works_page_and_its_facets_leave_the_anonymous_work_out(shelf, who):
    page = text(shelf.client(who).get("/users/alice/works"))
    if who == "creator":
        assert "Secret Story" in page
        assert "Ada/Bram (2)" in page and "Hidden/Hand (1)" in page
        assert "2 works" in page
    else:
        assert "Secret Story" not in page
        assert "Ada/Bram (1)" in page and "Hidden/Hand" not in page
        assert "1 work" in page


@pytest.mark.parametrize("who", EVERYONE)
def test_filtering_a_creators_works_by_the_anonymous_works_tag_names_nothing(shelf, who):
    url = f"/users/alice/works?relationship={shelf.hidden_hand.slug}"
    response = shelf.client(who).get(url)
    page = text(response)
    if who == "creator":
        assert 'name="include" value="Hidden/Hand"' in response.content.decode()
        assert "Secret Story" in page and "1 work found" in page
    else:
        assert "Hidden/Hand" not in page
        assert "None of these works has that relationship; left out." in page
        assert "Secret Story" not in page


@pytest.mark.parametrize("who", OTHERS)
@pytest.mark.parametrize("path", ["/", "/works/", "/tags/{slug}/", "/tags/{slug}/works"])
def test_lists_show_the_anonymous_work_as_anonymous(shelf, who, path):
    response = shelf.client(who).get(path.format(slug=shelf.hidden_hand.slug))
    assert response.status_code == 200
    page = text(response)
    assert "Secret Story by Anonymous" in page
    if path.startswith("/tags/"):
        assert "Signed Story" not in page
        assert_no_alice(response)


def test_the_creator_sees_their_tag_page_with_the_anonymous_byline(shelf):
    page = text(shelf.client("creator").get(f"/tags/{shelf.hidden_hand.slug}/"))
    assert "Secret Story by Anonymous" in page
    assert "1 work" in page


def test_an_accepted_co_creator_sees_the_anonymous_work_in_the_series(shelf):
    co_creator = make_user("cowriter")
    shared = make_work(
        shelf.alice, title="Shared Secret", anonymous=True, co_creators=[co_creator.default_pseud]
    )
    series_add_work(series=shelf.lamps, work=shared)
    client = Client()
    client.force_login(co_creator)
    assert "Shared Secret" not in text(client.get(shelf.lamps.get_absolute_url()))
    creatorship_respond(
        creatorship=Creatorship.objects.get(work=shared, pseud__user=co_creator), accept=True
    )
    page = text(client.get(shelf.lamps.get_absolute_url()))
    assert "Shared Secret" in page and "Secret Story" not in page
    # Parts are numbered among the works this reader sees in the series.
    assert "Part 2 of Lamps" in text(client.get(shared.get_absolute_url()))
