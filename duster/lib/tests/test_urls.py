import pytest
from django.urls import Resolver404, resolve, reverse

from duster.lib.urls import fast_reverse, parse_id


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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        ("0", 0),
        ("007", 7),
        ("9223372036854775807", 2**63 - 1),
        ("9223372036854775808", None),
        ("9" * 5000, None),
        ("²", None),
        ("١٢", None),  # Arabic-Indic digits: int() reads them, a URL id is ASCII
        ("-1", None),
        (" 1", None),
        ("1.0", None),
        ("", None),
    ],
)
def test_parse_id_takes_ascii_digits_that_fit_64_bits(text, expected):
    assert parse_id(text) == expected


def test_an_id_beyond_64_bits_in_a_path_resolves_to_nothing():
    assert resolve("/works/9223372036854775807/").kwargs == {"pk": 2**63 - 1}
    for path in ("/works/9223372036854775808/", "/works/99999999999999999999/"):
        with pytest.raises(Resolver404):
            resolve(path)
