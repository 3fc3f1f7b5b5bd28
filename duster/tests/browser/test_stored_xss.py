"""The XSS corpus, stored through every write path (the services in each text
format, the admin, import_work), never runs in Chromium — even with the CSP
switched off, so the sanitizer alone is what holds."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from duster.lib.tests.test_text import XSS_PAYLOADS
from duster.testing.factories import make_user
from duster.works.models import Series, Work
from duster.works.services.chapters import chapter_create
from duster.works.services.series import series_add_work, series_create
from duster.works.services.works import work_create

pytestmark = pytest.mark.browser


def _store_everywhere(author) -> list[str]:
    pages = []
    text = "\n\n".join(XSS_PAYLOADS)
    for fmt in ("html", "markdown", "text"):
        work = work_create(
            pseuds=[author.default_pseud],
            fields={
                "title": f"Corpus {fmt}",
                "rating": "general",
                "warnings": ["none"],
                "language": "en",
                "summary": text[:1200],
                "notes": text[:4900],
                "end_notes": text[-4900:],
                "text_format": fmt,
            },
            tags={"fandoms": ["Corpus"]},
            chapter={"body": text + "\n\nend", "text_format": fmt},
            post=True,
        )
        chapter_create(
            work=work,
            fields={"body": text, "notes": text[:4900], "summary": text[:1200], "text_format": fmt},
        )
        series = series_create(
            pseud=author.default_pseud,
            fields={
                "title": f"S {fmt}",
                "summary": text[:1200],
                "notes": text[:4900],
                "text_format": fmt,
            },
        )
        series_add_work(series=series, work=work)
        pages += [f"{work.get_absolute_url()}?view_full_work=true", series.get_absolute_url()]
    return pages


def test_the_corpus_stored_on_every_path_never_runs(open_page, tmp_path, admin_user):
    author = make_user("corpus")
    pages = _store_everywhere(author)

    admin = Client()
    admin.force_login(admin_user)
    series = Series.objects.first()
    assert series is not None
    admin.post(
        f"/admin/works/series/{series.pk}/change/",
        {
            "title": "Admin edit",
            "summary_source": "".join(XSS_PAYLOADS)[:1200],
            "notes_source": "".join(XSS_PAYLOADS)[:4900],
            "text_format": "html",
            "entries-TOTAL_FORMS": "0",
            "entries-INITIAL_FORMS": "0",
            "creatorships-TOTAL_FORMS": "0",
            "creatorships-INITIAL_FORMS": "0",
        },
    )
    path = tmp_path / "corpus.html"
    path.write_text("".join(XSS_PAYLOADS) + "<p>Imported.</p>")
    out = StringIO()
    call_command("import_work", str(path), creator="corpus", stdout=out)
    pages += [out.getvalue().strip().splitlines()[-1], series.get_absolute_url(), "/works/"]

    page = open_page("desktop", bypass_csp=True)
    dialogs: list[str] = []

    def on_dialog(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    for url in pages:
        page.goto(url)
        page.wait_for_load_state("load")
        page.wait_for_timeout(50)
        assert page.evaluate("window.__xss") is None, url
    assert dialogs == []
    assert Work.objects.count() == 4
    print(f"{len(XSS_PAYLOADS)} payloads x {len(pages)} pages, {len(dialogs)} executions")
