"""Ratings, archive warnings and categories as fixed tags."""

import pytest
from django.core.exceptions import ValidationError

from duster.tags.fixed import fixed_tags
from duster.tags.models import Tag, TagType
from duster.testing.factories import make_user, make_work
from duster.works.models import ArchiveWarning, Category, Rating, Work, WorkTag
from duster.works.services.works import work_update

pytestmark = pytest.mark.django_db


def test_every_choice_has_one_canonical_fixed_tag():
    fixed = fixed_tags()
    for tag_type, choices in (
        (TagType.RATING, Rating),
        (TagType.WARNING, ArchiveWarning),
        (TagType.CATEGORY, Category),
    ):
        assert set(fixed[tag_type]) == set(choices.values)
        for value, tag in fixed[tag_type].items():
            assert (tag.name, tag.type, tag.canonical, tag.fixed) == (
                choices(value).label,
                tag_type,
                True,
                True,
            )
    assert Tag.objects.filter(fixed=True).count() == len(Rating) + len(ArchiveWarning) + len(
        Category
    )


def test_warnings_and_categories_are_rows_any_database_can_filter():
    author = make_user()
    violent = make_work(author, title="Violent", warnings=["violence", "death"], categories=["ff"])
    make_work(author, title="Calm", warnings=["none"], categories=["gen", "ff"])
    fixed = fixed_tags()
    assert list(Work.objects.filter(tags=fixed["warning"]["violence"])) == [violent]
    both = Work.objects.filter(tags=fixed["category"]["ff"]).order_by("title")
    assert [w.title for w in both] == ["Calm", "Violent"]
    assert WorkTag.objects.filter(work=violent, tag__fixed=True).count() == 3


def test_the_work_reads_its_values_labels_and_symbols_back():
    work = make_work(make_user(), warnings=["violence", "death"], categories=["ff", "mm"])
    stored = Work.objects.for_listing().get(pk=work.pk)
    assert stored.warnings == ["violence", "death"]
    assert stored.categories == ["ff", "mm"]
    assert stored.warning_labels == ["Graphic Depictions Of Violence", "Major Character Death"]
    assert stored.category_labels == ["F/F", "M/M"]
    assert stored.symbols[2][1] == "Mx"
    assert [w for w in stored.fandoms()] and not any(t.fixed for t in stored.fandoms())


def test_an_update_without_warnings_keeps_them_and_one_with_them_replaces_them():
    work = make_work(make_user(), warnings=["violence"], categories=["gen"])
    work_update(work=work, fields={"title": "Renamed"}, tags={"fandoms": ["F"]})
    assert Work.objects.get(pk=work.pk).warnings == ["violence"]
    work_update(work=work, fields={"warnings": ["none"], "categories": []}, tags={"fandoms": ["F"]})
    stored = Work.objects.get(pk=work.pk)
    assert (stored.warnings, stored.categories) == (["none"], [])


@pytest.mark.parametrize(
    ("warnings", "message"),
    [
        ([], "Choose at least one archive warning."),
        (["bogus"], "is not an archive warning"),
        (["none", "violence"], "can't be combined"),
    ],
)
def test_bad_warnings_are_refused_at_the_field_and_nothing_is_written(warnings, message):
    work = make_work(make_user(), warnings=["violence"])
    with pytest.raises(ValidationError) as error:
        work_update(work=work, fields={"warnings": warnings}, tags={"fandoms": ["F"]})
    assert message in " ".join(error.value.message_dict["warnings"])
    assert Work.objects.get(pk=work.pk).warnings == ["violence"]
