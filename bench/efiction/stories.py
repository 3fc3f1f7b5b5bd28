"""The stories of an eFiction dump as Duster works, through Duster's own
services, with the same text eFiction shows: chapter text as stored (plain
text gets the line breaks eFiction's `format_story()` adds when it shows it),
summaries, notes, categories as fandoms, characters, genres as additional
tags, series in their stored order. Co-authors are left out (an invited
co-creator is credited only after accepting). Run inside `django_setup()`."""

import datetime as dt
import re
from dataclasses import dataclass

from django.db import transaction

from duster.accounts.models import User
from duster.works.models import ArchiveWarning, Chapter, Rating, Work
from duster.works.services.chapters import chapter_create
from duster.works.services.series import series_add_work, series_create
from duster.works.services.works import work_create

RATINGS = {"G": Rating.GENERAL, "PG": Rating.GENERAL, "PG-13": Rating.TEEN, "R": Rating.MATURE}
WARNINGS = {
    "none": ArchiveWarning.NONE_APPLY,
    "character death": ArchiveWarning.DEATH,
    "violence": ArchiveWarning.VIOLENCE,
}


@dataclass
class Story:
    sid: int
    work: Work
    chapters: list[Chapter]  # in eFiction's order (`inorder`)
    chapter_ids: list[int]  # eFiction's chapid of each


def _ids(value: object) -> list[int]:
    return [int(part) for part in str(value or "").split(",") if part.strip().lstrip("-").isdigit()]


def _when(epoch: object) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(epoch or 0), dt.UTC)


def _shown(text: object) -> str:
    """Chapter text as eFiction's format_story() shows it."""
    text = str(text or "").strip()
    if "<br>" not in text and "<p>" not in text and "<br />" not in text:
        text = re.sub(r"\r\n|\r|\n", "<br />", text)
    return text


def _username(penname: str) -> str:
    name = re.sub(r"\W", "_", penname, flags=re.ASCII)[:40]
    return name if len(name) >= 3 else f"{name}___"[:3]


def _author(row: dict) -> User:
    username = _username(row["penname"])
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(
            username=username, email=row["email"] or f"{username}@example.com", password=None
        )
    return user


@transaction.atomic
def stories_import(rows: dict[str, list[dict]]) -> dict[int, Story]:
    """Every validated story of the dump as a posted work (once: a story whose
    author already has a work of that title is taken as imported)."""
    authors = {row["uid"]: row for row in rows["fanfiction_authors"]}
    categories = {
        row["catid"]: row["category"].replace("&nbsp;", " ").strip()
        for row in rows["fanfiction_categories"]
    }
    characters = {row["charid"]: row["charname"] for row in rows["fanfiction_characters"]}
    class_types = {
        row["classtype_id"]: row["classtype_title"] for row in rows["fanfiction_classtypes"]
    }
    classes = {row["class_id"]: row for row in rows["fanfiction_classes"]}
    ratings = {row["rid"]: row["rating"] for row in rows["fanfiction_ratings"]}
    chapters: dict[int, list[dict]] = {}
    for row in sorted(rows["fanfiction_chapters"], key=lambda r: (r["sid"], r["inorder"])):
        if str(row["validated"]) != "0":
            chapters.setdefault(row["sid"], []).append(row)
    stories = {}
    for row in rows["fanfiction_stories"]:
        if str(row["validated"]) == "0" or row["sid"] not in chapters:
            continue
        user = _author(authors[row["uid"]])
        work = Work.objects.filter(title=row["title"], creatorships__pseud__user=user).first()
        if work is None:
            work = _work(
                row,
                user,
                chapters[row["sid"]],
                categories,
                characters,
                classes,
                class_types,
                ratings,
            )
        stories[row["sid"]] = Story(
            row["sid"],
            work,
            list(work.chapters.order_by("position")),
            [chapter["chapid"] for chapter in chapters[row["sid"]]],
        )
    _series(rows, stories, authors)
    return stories


def _work(row, user, chapters, categories, characters, classes, class_types, ratings) -> Work:
    genres, warnings = [], []
    for class_id in _ids(row["classes"]):
        kind = class_types.get(classes[class_id]["class_type"], "") if class_id in classes else ""
        name = classes[class_id]["class_name"] if class_id in classes else ""
        if kind.casefold() == "warnings":
            warnings.append(WARNINGS.get(name.casefold(), ArchiveWarning.CHOSE_NOT_TO_WARN))
        elif name:
            genres.append(name)
    first, *rest = chapters
    work = work_create(
        pseuds=[user.default_pseud],
        fields={
            "title": row["title"],
            "summary": row["summary"] or "",
            "notes": row["storynotes"] or "",
            "rating": RATINGS.get(ratings.get(int(row["rid"] or 0), ""), Rating.NOT_RATED),
            "warnings": sorted(set(warnings)) or [ArchiveWarning.CHOSE_NOT_TO_WARN],
            "language": "en",
            "expected_chapters": len(chapters) if str(row["completed"]) == "1" else None,
        },
        tags={
            "fandoms": [categories[c] for c in _ids(row["catid"]) if c in categories]
            or ["Original Work"],
            "characters": [characters[c] for c in _ids(row["charid"]) if c in characters],
            "freeforms": genres,
        },
        chapter={
            "title": first["title"],
            "notes": first["notes"] or "",
            "end_notes": first["endnotes"] or "",
            "body": _shown(first["storytext"]),
            "published_at": _when(row["date"]),
        },
        published_on=_when(row["date"]).date(),
        post=True,
    )
    for chapter in rest:
        chapter_create(
            work=work,
            fields={
                "title": chapter["title"],
                "notes": chapter["notes"] or "",
                "end_notes": chapter["endnotes"] or "",
                "body": _shown(chapter["storytext"]),
            },
            published_at=_when(row["updated"]),
        )
    return work


def _series(rows: dict[str, list[dict]], stories: dict[int, Story], authors: dict) -> None:
    """Each series with its confirmed stories in the stored order (sub-series
    are left out); once."""
    entries = sorted(rows.get("fanfiction_inseries", []), key=lambda r: r["inorder"])
    for row in rows.get("fanfiction_series", []):
        owner = _author(authors[row["uid"]])
        title = row["title"].replace("\\'", "'").replace('\\"', '"')  # stored with extra slashes
        if owner.pseuds.filter(creatorships__series__title=title).exists():
            continue
        series = series_create(pseud=owner.default_pseud, fields={"title": title})
        for entry in entries:
            wanted = entry["seriesid"] == row["seriesid"] and entry["confirmed"] == 1
            if wanted and entry["sid"] in stories:
                series_add_work(series=series, work=stories[entry["sid"]].work)
