"""Series through their pages: create, add works at a position, reorder with
position numbers, remove, delete; the reading order the author chose shows on
the series page and as "Part N of" on each work; bad input on every form."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from duster.testing.factories import make_series, make_user, make_work
from duster.testing.html import errors_at, form_values
from duster.works.models import Creatorship, Series, SeriesEntry, Work

pytestmark = pytest.mark.django_db


@pytest.fixture
def works(author):
    """Three one-shots posted in the order first, second, third."""
    return [make_work(author, title=title) for title in ("First Posted", "Second", "Third")]


def order(series) -> list[str]:
    return [e.work.title for e in series.entries.select_related("work").order_by("position")]


def titles_in_page_order(html: str, titles) -> list[str]:
    return sorted(titles, key=lambda title: html.index(f">{title}</a>"))


# --- Create, add, reorder, remove, delete ---------------------------------------------------


def test_creating_a_series_leads_to_adding_works(author_client, author):
    form = author_client.get("/series/new")
    assert form.status_code == 200
    data = {
        "title": "Missing Scenes",
        "pseud": author.default_pseud.pk,
        "summary": "Scenes *between* the chapters.",
        "notes": "",
        "text_format": "markdown",
    }
    response = author_client.post("/series/new", data)
    series = Series.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/series/{series.pk}/edit"
    assert series.summary == "<p>Scenes <em>between</em> the chapters.</p>"
    assert Creatorship.objects.get(series=series, approved=True).pseud == author.default_pseud


def test_works_are_added_at_the_position_asked_for(author_client, author, works):
    first, second, third = works
    series = make_series(author, title="Missing Scenes")
    url = f"/series/{series.pk}/works/add"
    assert author_client.post(url, {"work": first.pk, "position": ""}).status_code == 302
    assert author_client.post(url, {"work": third.pk, "position": "1"}).status_code == 302
    assert author_client.post(url, {"work": second.pk, "position": "2"}).status_code == 302
    assert order(series) == ["Third", "Second", "First Posted"]

    page = author_client.get(f"/series/{series.pk}/edit").content.decode()
    select = re.search(r'<select name="work".*?</select>', page, re.S)
    assert select
    choices = select.group(0)
    assert "First Posted" not in choices  # already in the series


def test_series_page_lists_works_in_the_authors_order(author, works):
    first, second, third = works
    series = make_series(author, works=[third, first, second], title="Missing Scenes")
    html = Client().get(f"/series/{series.pk}/").content.decode()
    assert titles_in_page_order(html, ["First Posted", "Second", "Third"]) == [
        "Third",
        "First Posted",
        "Second",
    ]
    assert "Missing Scenes" in html
    assert f"/users/{author.username}/works?pseud={author.default_pseud.pk}" in html


def test_each_work_shows_its_part_with_neighbours_in_the_authors_order(author, works):
    first, second, third = works
    series = make_series(author, works=[third, first, second], title="Missing Scenes")
    link = f'<a href="/series/{series.pk}/">Missing Scenes</a>'

    middle = Client().get(first.get_absolute_url()).content.decode()
    assert f"Part 2 of {link}" in middle
    assert f'<a rel="prev" href="{third.get_absolute_url()}">' in middle
    assert f'<a rel="next" href="{second.get_absolute_url()}">' in middle

    opening = Client().get(third.get_absolute_url()).content.decode()
    assert f"Part 1 of {link}" in opening
    assert f'<a rel="next" href="{first.get_absolute_url()}">' in opening
    assert "← Previous work" not in opening

    closing = Client().get(second.get_absolute_url()).content.decode()
    assert f"Part 3 of {link}" in closing
    assert "Next work →" not in closing


def test_a_work_in_two_series_shows_both_places(author, works):
    first, second, third = works
    one = make_series(author, works=[first, second], title="Alpha Series")
    two = make_series(author, works=[third, second], title="Beta Series")
    html = Client().get(second.get_absolute_url()).content.decode()
    assert f'Part 2 of <a href="/series/{one.pk}/">Alpha Series</a>' in html
    assert f'Part 2 of <a href="/series/{two.pk}/">Beta Series</a>' in html


def test_series_is_reordered_by_position_numbers(author_client, author, works):
    first, second, third = works
    series = make_series(author, works=works)
    page = author_client.get(f"/series/{series.pk}/edit")
    values = form_values(page)
    assert [values[f"position_{w.pk}"] for w in works] == [["1"], ["2"], ["3"]]

    data = {f"position_{first.pk}": "3", f"position_{second.pk}": "2", f"position_{third.pk}": "1"}
    response = author_client.post(f"/series/{series.pk}/order", data)
    assert response.status_code == 302
    assert order(series) == ["Third", "Second", "First Posted"]
    html = Client().get(f"/series/{series.pk}/").content.decode()
    assert titles_in_page_order(html, ["First Posted", "Second", "Third"]) == [
        "Third",
        "Second",
        "First Posted",
    ]
    assert "Part 3 of" in Client().get(first.get_absolute_url()).content.decode()


def test_removing_a_work_closes_the_gap(author_client, author, works):
    first, second, third = works
    series = make_series(author, works=works)
    response = author_client.post(f"/series/{series.pk}/works/{second.pk}/remove")
    assert response.status_code == 302
    assert order(series) == ["First Posted", "Third"]
    assert list(series.entries.values_list("position", flat=True)) == [1, 2]
    assert Work.objects.filter(pk=second.pk).exists()
    assert "Part 2 of" in Client().get(third.get_absolute_url()).content.decode()
    assert "Part " not in Client().get(second.get_absolute_url()).content.decode()


def test_removing_a_work_that_is_not_in_the_series_is_not_found(author_client, author, works):
    series = make_series(author, works=works[:1])
    assert author_client.post(f"/series/{series.pk}/works/{works[2].pk}/remove").status_code == 404


def test_deleting_a_series_asks_first_and_keeps_its_works(author_client, author, works):
    series = make_series(author, works=works, title="Short Lived")
    page = author_client.get(f"/series/{series.pk}/delete")
    assert page.status_code == 200
    assert "Delete the series “Short Lived”?" in page.content.decode()
    assert Series.objects.filter(pk=series.pk).exists()

    response = author_client.post(f"/series/{series.pk}/delete")
    assert response.status_code == 302
    assert response["Location"] == f"/users/{author.username}/series"
    assert not Series.objects.filter(pk=series.pk).exists()
    assert not SeriesEntry.objects.exists()
    assert Work.objects.count() == 3
    assert Client().get(f"/series/{series.pk}/").status_code == 404


def test_editing_title_and_summary(author_client, author):
    series = make_series(author, title="Old Name")
    data = {"title": "New Name", "summary": "Now with words.", "text_format": "text"}
    response = author_client.post(f"/series/{series.pk}/edit", {**data, "complete": "on"})
    assert response.status_code == 302
    series.refresh_from_db()
    assert (series.title, series.summary, series.complete) == (
        "New Name",
        "<p>Now with words.</p>",
        True,
    )


def test_only_a_creator_can_change_a_series(author, works):
    series = make_series(author, works=works[:2], title="Mine")
    other = Client()
    other.force_login(make_user())
    own_work = make_work(make_user())
    for method, url, data in [
        ("get", f"/series/{series.pk}/edit", None),
        ("post", f"/series/{series.pk}/edit", {"title": "Theirs", "text_format": "html"}),
        ("post", f"/series/{series.pk}/works/add", {"work": own_work.pk}),
        ("post", f"/series/{series.pk}/order", {}),
        ("post", f"/series/{series.pk}/works/{works[0].pk}/remove", None),
        ("post", f"/series/{series.pk}/delete", None),
    ]:
        response = getattr(other, method)(url, data)
        assert response.status_code == 404, url
    assert order(series) == ["First Posted", "Second"]
    series.refresh_from_db()
    assert series.title == "Mine"


def test_series_of_works_a_guest_may_not_see_is_not_found(author):
    restricted = make_work(author, restricted=True)
    draft = make_work(author, post=False)
    series = make_series(author, works=[restricted, draft])
    assert Client().get(f"/series/{series.pk}/").status_code == 404
    reader = Client()
    reader.force_login(make_user())
    html = reader.get(f"/series/{series.pk}/").content.decode()
    assert restricted.title in html
    assert draft.title not in html


# --- Bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": ""}, "title", "This field is required."),
        ({"title": "t" * 256}, "title", "at most 255 characters"),
        ({"summary": "s" * 1251}, "summary", "Keep this to 1,250 characters"),
        ({"notes": "n" * 5001}, "notes", "Keep this to 5,000 characters"),
        ({"pseud": "999999"}, "pseud", "Select a valid choice."),
        ({"text_format": "rtf"}, "text_format", "Select a valid choice."),
    ],
    ids=["no title", "long title", "long summary", "long notes", "not my pseud", "format"],
)
def test_bad_series_input_is_refused_at_the_field_and_kept(
    author_client, author, overrides, field, message
):
    data = {
        "title": "Typed Title",
        "pseud": str(author.default_pseud.pk),
        "summary": "Typed summary.",
        "notes": "Typed notes.",
        "text_format": "html",
        **overrides,
    }
    response = author_client.post("/series/new", data)
    assert response.status_code == 200
    assert message in errors_at(response, field)
    kept = form_values(response)
    for name in ("title", "summary", "notes"):
        assert kept[name] == [data[name]]
    assert Series.objects.count() == 0
    assert not Creatorship.objects.filter(series__isnull=False).exists()


def test_bad_input_on_the_series_edit_form_saves_nothing(author_client, author, works):
    series = make_series(author, works=works, title="Kept")
    response = author_client.post(
        f"/series/{series.pk}/edit", {"title": "", "summary": "x" * 1251, "text_format": "html"}
    )
    assert response.status_code == 200
    assert "required" in errors_at(response, "title")
    assert "1,250" in errors_at(response, "summary")
    assert form_values(response)["summary"] == ["x" * 1251]
    series.refresh_from_db()
    assert series.title == "Kept"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"work": "", "position": "1"}, "work", "This field is required."),
        ({"work": "999999", "position": ""}, "work", "Select a valid choice."),
        ({"work": "abc", "position": ""}, "work", "Select a valid choice."),
        ({"work": "{first}", "position": ""}, "work", "Select a valid choice."),
        ({"work": "{other}", "position": ""}, "work", "Select a valid choice."),
        ({"work": "{third}", "position": "0"}, "position", "greater than or equal to 1"),
        ({"work": "{third}", "position": "abc"}, "position", "Enter a whole number."),
    ],
    ids=["no work", "unknown work", "not a number", "already in", "not mine", "0", "abc"],
)
def test_bad_add_work_input_is_refused_at_the_field(
    author_client, author, works, data, field, message
):
    first, second, third = works
    other = make_work(make_user(), title="Somebody Else's")
    series = make_series(author, works=[first, second])
    data = {
        name: value.format(first=first.pk, third=third.pk, other=other.pk)
        for name, value in data.items()
    }
    response = author_client.post(f"/series/{series.pk}/works/add", data)
    assert response.status_code == 200
    assert message in errors_at(response, field)
    assert order(series) == ["First Posted", "Second"]
    kept = form_values(response)
    assert kept["position"] == [data["position"]]
    if field == "position":
        assert kept["work"] == [str(third.pk)]
    html = response.content.decode()
    assert "Title and description" in html
    assert form_values(response)["title"] == ["A series"]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("0", "greater than or equal to 1"),
        ("4", "less than or equal to 3"),
        ("abc", "Enter a whole number."),
        ("", "This field is required."),
    ],
)
def test_bad_series_positions_are_refused_at_the_field(author_client, author, works, bad, message):
    first, second, third = works
    series = make_series(author, works=works)
    data = {f"position_{first.pk}": bad, f"position_{second.pk}": "1", f"position_{third.pk}": "2"}
    response = author_client.post(f"/series/{series.pk}/order", data)
    assert response.status_code == 200
    assert message in errors_at(response, f"position_{first.pk}")
    kept = form_values(response)
    assert kept[f"position_{first.pk}"] == [bad]
    assert kept[f"position_{second.pk}"] == ["1"]
    assert order(series) == ["First Posted", "Second", "Third"]


def test_move_up_and_down_buttons_change_the_reading_order(client):
    author = make_user()
    first, second, third = (make_work(author, title=t) for t in ("One", "Two", "Three"))
    series = make_series(author, [first, second, third])
    client.force_login(author)
    page = client.get(reverse("series_edit", args=[series.pk])).content.decode()
    assert "Move up: Three" in page and "Move down: One" in page
    assert "Move up: One" not in page and "Move down: Three" not in page

    move = reverse("series_move_work", args=[series.pk, third.pk])
    assert client.post(move, {"move_to": "1"}).status_code == 302
    move = reverse("series_move_work", args=[series.pk, first.pk])
    client.post(move, {"move_to": "3"})
    order = list(series.entries.order_by("position").values_list("work__title", flat=True))
    assert order == ["Three", "Two", "One"]

    response = client.post(move, {"move_to": "later"}, follow=True)
    assert "Give the new place as a number." in response.content.decode()


def test_only_the_series_creator_can_move_works(client):
    author = make_user()
    work = make_work(author)
    series = make_series(author, [work, make_work(author)])
    client.force_login(make_user())
    response = client.post(
        reverse("series_move_work", args=[series.pk, work.pk]), {"position": "2"}
    )
    assert response.status_code == 404
