"""Every write path stores only sanitized text, keeps the writer's source, and
follows the same rules: services called directly, the admin, import_work."""

import datetime as dt
import re
from html.parser import HTMLParser
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from duster.lib.tests.test_text import XSS_PAYLOADS
from duster.testing.factories import make_user, make_work
from duster.works.models import Chapter, Series, Work
from duster.works.services.chapters import chapter_create, chapter_update
from duster.works.services.series import series_create
from duster.works.services.works import work_create, work_leave, work_update

pytestmark = pytest.mark.django_db

_UNSAFE_TAGS = {"script", "iframe", "svg", "object", "embed", "style", "math", "base", "form"}
_UNSAFE_URL = re.compile(r"^\s*(javascript|vbscript|data):", re.I)


class _Checker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []

    def handle_starttag(self, tag, attrs):
        if tag in _UNSAFE_TAGS:
            self.problems.append(tag)
        for name, value in attrs:
            if name.startswith("on") or (
                name in ("href", "src") and value and _UNSAFE_URL.match(value)
            ):
                self.problems.append(f"{tag} {name}={value}")


def assert_clean(*htmls):
    for html in htmls:
        checker = _Checker()
        checker.feed(html)
        assert not checker.problems, (checker.problems, html[:500])


def _fields(**extra):
    return {"title": "T", "rating": "teen", "warnings": ["none"], "language": "en", **extra}


@pytest.mark.parametrize("fmt", ["html", "markdown", "text"])
def test_the_xss_corpus_through_every_service_is_stored_clean(fmt):
    author = make_user()
    payload = "\n\n".join(XSS_PAYLOADS)
    work = work_create(
        pseuds=[author.default_pseud],
        fields=_fields(summary=payload[:1200], notes=payload[:4900], text_format=fmt),
        tags={"fandoms": ["F"]},
        chapter={"body": payload + "\n\nwords", "text_format": fmt},
        post=True,
    )
    chapter = chapter_create(
        work=work, fields={"body": payload, "notes": payload[:4900], "text_format": fmt}
    )
    chapter_update(
        chapter=chapter,
        fields={"body": "<script>alert(1)</script>" + payload, "end_notes": payload[:4900]},
        version=chapter.version,
    )
    series = series_create(
        pseud=author.default_pseud,
        fields={
            "title": "S",
            "summary": payload[:1200],
            "notes": payload[:4900],
            "text_format": fmt,
        },
    )
    for chapter in Chapter.objects.all():
        assert_clean(chapter.body, chapter.notes, chapter.end_notes, chapter.summary)
    work.refresh_from_db()
    series.refresh_from_db()
    assert_clean(work.summary, work.notes, series.summary, series.notes)
    assert work.text_format == fmt


def test_html_set_directly_on_a_model_is_sanitized_on_save():
    work = make_work(make_user())
    chapter = work.chapters.get()
    chapter.body = '<p onclick="x()">Hi</p><script>alert(1)</script>'
    chapter.save()
    chapter.refresh_from_db()
    assert chapter.body == "<p>Hi</p>"


def test_the_admin_change_form_stores_sanitized_text(admin_client):
    work = make_work(make_user())
    series = series_create(pseud=work.credited_pseuds()[0], fields={"title": "S"})
    data = {
        "title": "S",
        "summary_source": '<img src=x onerror="alert(1)"><p>Kept</p>',
        "notes_source": "<script>alert(2)</script>",
        "text_format": "html",
        "entries-TOTAL_FORMS": "0",
        "entries-INITIAL_FORMS": "0",
        "creatorships-TOTAL_FORMS": "0",
        "creatorships-INITIAL_FORMS": "0",
    }
    response = admin_client.post(f"/admin/works/series/{series.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    series.refresh_from_db()
    assert "Kept" in series.summary
    assert_clean(series.summary, series.notes)


def test_import_work_stores_sanitized_text(tmp_path):
    make_user("importer")
    path = tmp_path / "story.html"
    path.write_text("".join(XSS_PAYLOADS) + "<p>The story.</p>")
    out = StringIO()
    call_command("import_work", str(path), creator="importer", stdout=out)
    work = Work.objects.get()
    assert_clean(work.chapters.get().body)
    assert "The story." in work.chapters.get().body


def test_a_markdown_chapter_keeps_its_source_and_format():
    work = make_work(make_user())
    chapter = chapter_create(
        work=work, fields={"body": "Some *emphasis*\n\n- a list", "text_format": "markdown"}
    )
    chapter.refresh_from_db()
    assert chapter.body_source == "Some *emphasis*\n\n- a list"
    assert chapter.text_format == "markdown"
    assert "<em>emphasis</em>" in chapter.body
    assert chapter.rich_text_source("body") == "Some *emphasis*\n\n- a list"


def test_service_limits_give_field_errors_and_write_nothing():
    author = make_user()
    with pytest.raises(ValidationError) as error:
        work_create(
            pseuds=[author.default_pseud],
            fields=_fields(summary="x" * 1300, warnings=["bogus"], rating="nope"),
            tags={"fandoms": [], "freeforms": [f"t{i}" for i in range(80)]},
            chapter={"body": ""},
            post=True,
        )
    errors = error.value.message_dict
    assert set(errors) >= {"summary", "warnings", "rating", "fandoms", "freeforms", "body"}
    assert "1,250" in errors["summary"][0]
    assert not Work.objects.exists()


def test_the_cap_on_additional_tags_is_the_archives_setting(settings):
    settings.ADDITIONAL_TAGS_MAX = 3
    author = make_user()
    new = {"pseuds": [author.default_pseud], "fields": _fields(), "chapter": {"body": "b"}}
    with pytest.raises(ValidationError) as error:
        work_create(**new, post=True, tags={"fandoms": ["F"], "freeforms": ["a", "b", "c", "d"]})
    assert error.value.message_dict["freeforms"] == ["Use at most 3 tags here (you have 4)."]
    work = work_create(**new, post=True, tags={"fandoms": ["F"], "freeforms": ["a", "b", "c"]})
    assert len(work.tags_of("freeform")) == 3


def test_a_tag_name_with_a_comma_is_refused_by_the_service():
    author = make_user()
    with pytest.raises(ValidationError) as error:
        work_create(
            pseuds=[author.default_pseud],
            fields=_fields(),
            tags={"fandoms": ["One, Two"]},
            chapter={"body": "x"},
            post=True,
        )
    assert "Commas" in error.value.message_dict["fandoms"][0]


def test_editing_a_chapter_moves_the_works_modified_at():
    work = make_work(make_user())
    before = Work.objects.get(pk=work.pk).modified_at
    chapter = work.chapters.get()
    chapter_update(chapter=chapter, fields={"body": "<p>New</p>"}, version=chapter.version)
    assert Work.objects.get(pk=work.pk).modified_at > before


def test_a_draft_shows_no_completion_date():
    work = make_work(make_user(), post=False)
    work.refresh_from_db()
    assert work.completed_at is None and work.updated_at is None


def test_chapters_keep_their_own_historical_dates():
    author = make_user()
    first = dt.datetime(2008, 3, 1, 12, tzinfo=dt.UTC)
    second = dt.datetime(2008, 5, 9, 12, tzinfo=dt.UTC)
    work = work_create(
        pseuds=[author.default_pseud],
        fields=_fields(expected_chapters=2),
        tags={"fandoms": ["F"]},
        chapter={"body": "one", "published_at": first},
        post=True,
    )
    chapter_create(work=work, fields={"body": "two"}, published_at=second)
    work.refresh_from_db()
    dates = list(work.chapters.values_list("published_at", flat=True))
    assert dates == [first, second]
    assert work.published_at == first
    assert work.updated_at == second == work.completed_at
    assert work.published_at < timezone.now()


class TestCoCreators:
    """Who may remove whom: oneself always (unless the last creator); someone
    else only if one invited them."""

    def _work(self):
        alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
        work = make_work(alice, co_creators=[bob.default_pseud])
        from duster.works.services.works import creatorship_respond

        creatorship_respond(creatorship=work.creatorships.get(pseud__user=bob), accept=True)
        return work, alice, bob, carol

    def _update(self, work, user, co_creators):
        work_update(
            work=work,
            pseuds=[user.default_pseud],
            co_creators=co_creators,
            fields={},
            tags={"fandoms": ["Lamplighter Chronicles"]},
        )

    def _credited(self, work):
        return sorted(work.creatorships.values_list("pseud__user__username", flat=True))

    def test_an_invited_co_creator_cannot_remove_the_original_creator(self):
        work, alice, bob, _ = self._work()
        with pytest.raises(ValidationError) as error:
            self._update(work, bob, [])
        assert "only the creator who invited them" in error.value.message_dict["co_creators"][0]
        assert self._credited(work) == ["alice", "bob"]

    def test_the_inviter_can_remove_whom_they_invited(self):
        work, alice, bob, _ = self._work()
        self._update(work, alice, [])
        assert self._credited(work) == ["alice"]

    def test_a_co_creator_can_leave(self):
        work, alice, bob, _ = self._work()
        work_leave(work=work, user=bob)
        assert self._credited(work) == ["alice"]

    def test_the_last_creator_cannot_leave(self):
        work, alice, bob, _ = self._work()
        work_leave(work=work, user=bob)
        with pytest.raises(ValidationError):
            work_leave(work=work, user=alice)
        assert self._credited(work) == ["alice"]

    def test_someone_elses_invitee_stays_when_a_co_creator_edits(self):
        work, alice, bob, carol = self._work()
        self._update(work, alice, [bob.default_pseud, carol.default_pseud])
        with pytest.raises(ValidationError):
            self._update(work, bob, [alice.default_pseud])
        assert self._credited(work) == ["alice", "bob", "carol"]


def test_series_summary_and_notes_keep_their_source():
    author = make_user()
    series = series_create(
        pseud=author.default_pseud,
        fields={"title": "S", "summary": "**bold**", "text_format": "markdown"},
    )
    series = Series.objects.get(pk=series.pk)
    assert series.summary_source == "**bold**"
    assert "<strong>bold</strong>" in series.summary


def test_a_nul_character_gives_a_field_error_not_a_database_error():
    author = make_user()
    with pytest.raises(ValidationError) as error:
        work_create(
            pseuds=[author.default_pseud],
            fields=_fields(title="a\x00b", summary="s\x00"),
            tags={"fandoms": ["F\x00"]},
            chapter={"body": "x"},
            post=True,
        )
    assert {"title", "summary"} <= set(error.value.message_dict)
    assert not Work.objects.exists()


def test_renaming_a_pseud_moves_its_works_modified_at():
    from duster.accounts.models import Pseud
    from duster.accounts.services import pseud_save

    author = make_user()
    pseud = Pseud.objects.create(user=author, name="Quill")
    work = make_work(author)
    work_update(work=work, pseuds=[pseud], fields={}, tags={"fandoms": ["Lamplighter Chronicles"]})
    before = Work.objects.get(pk=work.pk).modified_at
    pseud.name = "Quill Two"
    pseud_save(pseud=pseud)
    assert Work.objects.get(pk=work.pk).modified_at > before
