"""The blurb's four squares say rating, warnings, category and status in a
few letters, and in full to screen readers."""

import pytest

from duster.works.models import Work


@pytest.mark.parametrize(
    ("categories", "mark"),
    [
        ([], "–"),
        (["ff"], "F/F"),
        (["gen"], "Gen"),
        (["other"], "Oth"),
        (["multi"], "Mx"),
        (["ff", "mm"], "Mx"),
    ],
)
def test_the_category_square_holds_three_letters_at_most(categories, mark):
    work = Work(rating="teen", complete=True, expected_chapters=1, chapter_count=1)
    work.warnings = ["none"]
    work.categories = categories
    (_, _, category, _) = work.symbols
    assert category[1] == mark
    assert len(mark) <= 3
