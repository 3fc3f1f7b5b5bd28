"""Small factory functions for tests and benchmarks: personas and works."""

import itertools

from duster.accounts.models import User
from duster.works.models import Work
from duster.works.services.chapters import chapter_create
from duster.works.services.series import series_add_work, series_create
from duster.works.services.works import work_create

_numbers = itertools.count(1)


def make_user(username: str | None = None, **extra) -> User:
    username = username or f"user{next(_numbers)}"
    return User.objects.create_user(
        username=username, email=f"{username}@example.com", password="a-long-password", **extra
    )


def make_work(
    creator: User,
    *,
    title: str | None = None,
    chapters: int = 1,
    post: bool = True,
    fandoms=("Lamplighter Chronicles",),
    relationships=(),
    characters=(),
    freeforms=(),
    expected_chapters: int | None = 1,
    co_creators=(),
    **fields,
) -> Work:
    work = work_create(
        pseuds=[creator.default_pseud],
        co_creators=co_creators,
        fields={
            "title": title or f"Work {next(_numbers)}",
            "rating": "general",
            "warnings": ["none"],
            "language": "en",
            "expected_chapters": expected_chapters,
            **fields,
        },
        tags={
            "fandoms": list(fandoms),
            "relationships": list(relationships),
            "characters": list(characters),
            "freeforms": list(freeforms),
        },
        chapter={"title": "", "body": "<p>The first chapter, in a few words.</p>"},
        post=post,
    )
    for number in range(2, chapters + 1):
        chapter_create(
            work=work, fields={"body": f"<p>Chapter {number} text goes here.</p>"}, post=True
        )
    work.refresh_from_db()
    return work


def make_series(creator: User, works=(), title: str = "A series"):
    series = series_create(pseud=creator.default_pseud, fields={"title": title})
    for work in works:
        series_add_work(series=series, work=work)
    return series
