"""Series in the author's order, never the order of dates."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from duster.testing.factories import make_series, make_user, make_work
from duster.works import selectors
from duster.works.models import Series, SeriesEntry, Work
from duster.works.services.series import (
    series_add_work,
    series_create,
    series_delete,
    series_move_work,
    series_remove_work,
    series_reorder,
    series_update,
)
from duster.works.services.works import work_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def author():
    return make_user("author")


@pytest.fixture
def works(author):
    """Four works titled A to D, posted in that order."""
    return [make_work(author, title=title) for title in "ABCD"]


def _titles(series, user=None):
    _, entries = selectors.series_for_reader(series.pk, user)
    return [entry.work.title for entry in entries]


def _positions(series):
    return list(series.entries.order_by("position").values_list("position", flat=True))


class TestAddingWorks:
    def test_works_added_without_a_position_go_last(self, author, works):
        series = make_series(author, works)
        assert _titles(series, author) == ["A", "B", "C", "D"]
        assert _positions(series) == [1, 2, 3, 4]

    def test_a_work_can_be_added_first(self, author, works):
        series = make_series(author, works[:3])
        entry = series_add_work(series=series, work=works[3], position=1)
        assert entry.position == 1
        assert _titles(series, author) == ["D", "A", "B", "C"]
        assert _positions(series) == [1, 2, 3, 4]

    def test_a_work_can_be_added_in_the_middle(self, author, works):
        series = make_series(author, works[:3])
        series_add_work(series=series, work=works[3], position=2)
        assert _titles(series, author) == ["A", "D", "B", "C"]
        assert _positions(series) == [1, 2, 3, 4]

    @pytest.mark.parametrize("position", [0, -3, 4, 99])
    def test_a_position_outside_the_series_is_refused_with_the_range(self, author, works, position):
        series = make_series(author, works[:2])
        with pytest.raises(ValidationError) as error:
            series_add_work(series=series, work=works[2], position=position)
        assert error.value.message_dict["position"] == [
            "Choose a place from 1 to 3 (1 is first, 3 is last)."
        ]
        assert _titles(series, author) == ["A", "B"]

    def test_no_position_puts_the_work_last(self, author, works):
        series = make_series(author, works[:2])
        series_add_work(series=series, work=works[2], position=None)
        assert _titles(series, author) == ["A", "B", "C"]
        assert _positions(series) == [1, 2, 3]

    def test_adding_the_same_work_twice_is_refused(self, author, works):
        series = make_series(author, works[:2])
        with pytest.raises(ValidationError) as error:
            series_add_work(series=series, work=works[0], position=2)
        assert "work" in error.value.message_dict
        assert _titles(series, author) == ["A", "B"]
        assert series.entries.count() == 2

    def test_a_work_can_belong_to_two_series(self, author, works):
        first = make_series(author, works[:2], title="First")
        second = make_series(author, [works[1], works[0]], title="Second")
        assert _titles(first, author) == ["A", "B"]
        assert _titles(second, author) == ["B", "A"]
        places = selectors.series_places(works[0], None)
        assert [(p.series.title, p.part) for p in places] == [("First", 1), ("Second", 2)]


class TestOrdering:
    def test_moving_a_work_up_or_down(self, author, works):
        series = make_series(author, works)
        series_move_work(series=series, work=works[3], position=2)
        assert _titles(series, author) == ["A", "D", "B", "C"]
        series_move_work(series=series, work=works[0], position=4)
        assert _titles(series, author) == ["D", "B", "C", "A"]
        assert _positions(series) == [1, 2, 3, 4]

    def test_moving_past_the_end_is_refused_and_changes_nothing(self, author, works):
        series = make_series(author, works[:3])
        with pytest.raises(ValidationError):
            series_move_work(series=series, work=works[0], position=10)
        assert _titles(series, author) == ["A", "B", "C"]

    def test_moving_a_work_not_in_the_series_is_refused(self, author, works):
        series = make_series(author, works[:2])
        with pytest.raises(ValidationError):
            series_move_work(series=series, work=works[3], position=1)
        assert _titles(series, author) == ["A", "B"]

    def test_reordering_with_positions_for_every_work(self, author, works):
        series = make_series(author, works)
        a, b, c, d = (w.pk for w in works)
        assert series_reorder(series=series, positions={a: 4, b: 2, c: 3, d: 1}) is True
        assert _titles(series, author) == ["D", "B", "C", "A"]
        assert _positions(series) == [1, 2, 3, 4]

    def test_reordering_with_a_number_twice_is_refused_and_says_which(self, author, works):
        series = make_series(author, works)
        a, b, c, d = (w.pk for w in works)
        with pytest.raises(ValidationError) as error:
            series_reorder(series=series, positions={a: 4, b: 2, c: 2, d: 1})
        assert "2 is used more than once" in error.value.messages[0]
        assert _titles(series, author) == ["A", "B", "C", "D"]

    def test_reordering_to_the_same_order_reports_no_change(self, author, works):
        series = make_series(author, works[:2])
        a, b = (w.pk for w in works[:2])
        assert series_reorder(series=series, positions={a: 1, b: 2}) is False

    def test_reordering_without_every_work_is_refused(self, author, works):
        series = make_series(author, works[:3])
        with pytest.raises(ValidationError):
            series_reorder(series=series, positions={works[0].pk: 2, works[1].pk: 1})
        assert _titles(series, author) == ["A", "B", "C"]

    def test_removing_a_work_renumbers_the_rest(self, author, works):
        series = make_series(author, works)
        series_remove_work(series=series, work=works[1])
        assert _titles(series, author) == ["A", "C", "D"]
        assert _positions(series) == [1, 2, 3]
        assert Work.objects.filter(pk=works[1].pk).exists()

    def test_removing_a_work_not_in_the_series_is_refused(self, author, works):
        series = make_series(author, works[:2])
        with pytest.raises(ValidationError):
            series_remove_work(series=series, work=works[2])
        assert series.entries.count() == 2

    def test_deleting_a_work_takes_it_out_of_its_series(self, author, works):
        series = make_series(author, works[:3])
        works[1].delete()
        assert _titles(series, author) == ["A", "C"]

    def test_deleting_a_series_keeps_its_works(self, author, works):
        series = make_series(author, works[:2])
        series_delete(series=series)
        assert not Series.objects.exists()
        assert not SeriesEntry.objects.exists()
        assert Work.objects.count() == 4


class TestTheAuthorsOrderNotDates:
    def test_reading_order_and_parts_follow_the_author_not_the_dates(self, author):
        # Posted as Missing Scene, Beginning, Ending; backdated so that Ending
        # is oldest; put into the series in a third order.
        dates = {
            "Missing Scene": dt.date(2015, 6, 1),
            "Beginning": dt.date(2019, 3, 3),
            "Ending": dt.date(2012, 1, 1),
        }
        made = {}
        for title, date in dates.items():
            work = make_work(author, title=title)
            work_update(
                work=work,
                fields={},
                tags={"fandoms": ["Lamplighter Chronicles"]},
                published_on=date,
            )
            made[title] = work
        series = series_create(pseud=author.default_pseud, fields={"title": "Lamps"})
        series_add_work(series=series, work=made["Ending"])
        series_add_work(series=series, work=made["Beginning"], position=1)
        series_add_work(series=series, work=made["Missing Scene"], position=2)

        expected = ["Beginning", "Missing Scene", "Ending"]
        assert _titles(series, None) == expected
        assert _titles(series, make_user()) == expected
        for number, title in enumerate(expected, start=1):
            (place,) = selectors.series_places(made[title], None)
            assert place.series == series
            assert place.part == number
            previous = expected[number - 2] if number > 1 else None
            following = expected[number] if number < len(expected) else None
            assert (place.previous and place.previous.title) == previous
            assert (place.next and place.next.title) == following

    def test_editing_a_work_does_not_move_it_in_its_series(self, author, works):
        series = make_series(author, works[:3])
        work_update(
            work=works[0],
            fields={"title": "A revised"},
            tags={"fandoms": ["Lamplighter Chronicles"]},
        )
        assert _titles(series, author) == ["A revised", "B", "C"]


class TestSeriesFields:
    def test_a_series_is_credited_to_its_creator(self, author):
        series = series_create(pseud=author.default_pseud, fields={"title": "Lamps"})
        assert series.credited_pseuds() == [author.default_pseud]
        assert series.is_creator(author)

    def test_a_series_without_a_title_is_refused(self, author):
        with pytest.raises(ValidationError) as error:
            series_create(pseud=author.default_pseud, fields={"title": ""})
        assert "title" in error.value.message_dict
        assert not Series.objects.exists()

    def test_a_series_can_be_marked_complete(self, author):
        series = make_series(author)
        series_update(series=series, fields={"complete": True, "summary": "All of it."})
        series.refresh_from_db()
        assert series.complete
        assert series.summary == "All of it."
