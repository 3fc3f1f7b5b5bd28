import pytest
from django.urls import reverse

from duster.lib.urls import fast_reverse


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("work_detail", [12]),
        ("work_detail", [70319640]),
        ("chapter_detail", [3, 7]),
        ("tag_works", ["地图-不是-领土"]),
        ("tag_works", ["a-b_c"]),
        ("user_works", ["ann_1"]),
    ],
)
def test_fast_reverse_gives_what_reverse_gives(name, args):
    assert fast_reverse(name, *args) == reverse(name, args=args)
