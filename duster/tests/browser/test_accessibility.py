"""The key pages pass axe-core's WCAG 2.2 AA rules in Chromium, at phone and
desktop width, and the Nu HTML Checker finds no errors in their markup.

The tools come from bin/install-test-tools (npm packages axe-core and
vnu-jar under var/test-tools); without them these tests are skipped.
"""

import json
import shutil
import subprocess
from dataclasses import dataclass, field

import pytest
from django.test import Client
from django.urls import reverse

from duster.tags.models import Tag
from duster.tests.browser import AXE_JS, INSTALL_HINT, VNU_JAR, sideways_overflow, tool_missing

pytestmark = pytest.mark.browser

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING_IMPACTS = {"serious", "critical"}


@dataclass
class KeyPage:
    name: str
    path: str
    as_author: bool = False
    # A form sent empty, to see the page with its error messages: the
    # button a person presses, and the same request for the test client.
    press: str = ""
    post: dict = field(default_factory=dict)


def key_pages(archive) -> list[KeyPage]:
    saga = archive.saga
    series = archive.series
    username = archive.author.username
    fandom = Tag.objects.get(name="Lamplighter Chronicles")
    return [
        KeyPage("home", reverse("home")),
        KeyPage("latest works", reverse("works_latest")),
        KeyPage("work page", saga.get_absolute_url()),
        KeyPage("work page, as its creator", saga.get_absolute_url(), as_author=True),
        KeyPage("chapter page", archive.second_chapter.get_absolute_url()),
        KeyPage("entire work", saga.get_absolute_url() + "?view_full_work=true"),
        KeyPage("chapter index", reverse("work_navigate", args=[saga.pk])),
        KeyPage("adult content notice", archive.adult.get_absolute_url()),
        KeyPage(
            "posting form with errors",
            reverse("work_new"),
            as_author=True,
            press="Post",
            post={"action": "post"},
        ),
        KeyPage("chapter form", reverse("chapter_new", args=[saga.pk]), as_author=True),
        KeyPage("series page", series.get_absolute_url()),
        KeyPage("series edit page", reverse("series_edit", args=[series.pk]), as_author=True),
        KeyPage("user page", reverse("user_detail", args=[username])),
        KeyPage("user page, as its owner", reverse("user_detail", args=[username]), as_author=True),
        KeyPage("user works", reverse("user_works", args=[username])),
        KeyPage("tag page", reverse("tag_detail", args=[fandom.slug])),
        KeyPage("tag works", reverse("tag_works", args=[fandom.slug])),
        KeyPage("log in", reverse("login")),
        KeyPage("sign up", reverse("signup")),
        KeyPage("preferences", reverse("preferences"), as_author=True),
    ]


def _axe_violations(page) -> list[dict]:
    return page.evaluate(
        """async (tags) => {
            const results = await axe.run(document, {
                runOnly: {type: "tag", values: tags}, resultTypes: ["violations"],
            });
            return results.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map((n) => ({
                    target: n.target.join(" "), summary: n.failureSummary,
                })),
            }));
        }""",
        AXE_TAGS,
    )


def _describe(problems: dict[str, list[dict]]) -> str:
    lines = []
    for name, violations in problems.items():
        for v in violations:
            lines.append(f"{name}: [{v['impact']}] {v['id']}: {v['help']}")
            for node in v["nodes"]:
                summary = " ".join(node["summary"].split())
                lines.append(f"    {node['target']}: {summary}")
    return "\n".join(lines)


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_key_pages_have_no_serious_axe_violations(size, archive, open_page):
    if not AXE_JS.exists():
        tool_missing(f"axe-core is not installed ({INSTALL_HINT})")
    # axe is injected into every page, which the site's CSP would block.
    guest = open_page(size, bypass_csp=True)
    author = open_page(size, user=archive.author, bypass_csp=True)
    for page in (guest, author):
        page.context.add_init_script(path=str(AXE_JS))
    problems: dict[str, list[dict]] = {}
    too_wide: dict[str, int] = {}
    for key_page in key_pages(archive):
        page = author if key_page.as_author else guest
        response = page.goto(key_page.path)
        assert response.ok, f"{key_page.name}: {key_page.path} answered {response.status}"
        if key_page.press:
            with page.expect_navigation():
                page.get_by_role("button", name=key_page.press, exact=True).click()
            assert page.locator(".errorlist").count(), f"{key_page.name}: no errors shown"
        violations = [v for v in _axe_violations(page) if v["impact"] in BLOCKING_IMPACTS]
        if violations:
            problems[key_page.name] = violations
        if size == "phone" and sideways_overflow(page) > 0:
            too_wide[key_page.name] = sideways_overflow(page)
    assert not problems, "axe found serious or critical problems:\n" + _describe(problems)
    assert not too_wide, f"pages wider than a phone (excess in px): {too_wide}"


def test_key_pages_are_valid_html(archive, tmp_path):
    java = shutil.which("java")
    if java is None:
        tool_missing("Java is not installed, so the Nu HTML Checker can't run")
    if not VNU_JAR.exists():
        tool_missing(f"the Nu HTML Checker (vnu.jar) is not installed ({INSTALL_HINT})")
    guest = Client()
    author = Client()
    author.force_login(archive.author)
    files = {}
    for number, key_page in enumerate(key_pages(archive), start=1):
        client = author if key_page.as_author else guest
        if key_page.post:
            response = client.post(key_page.path, key_page.post)
        else:
            response = client.get(key_page.path)
        assert response.status_code == 200, f"{key_page.name}: {response.status_code}"
        path = tmp_path / f"{number:02d}.html"
        path.write_bytes(response.content)
        files[path] = key_page.name

    # A bigger stack is what the checker asks for; the quick JIT tier more
    # than halves the start-up time of this one short run.
    java_options = ["-Xss4m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]
    vnu = [java, *java_options, "-jar", str(VNU_JAR), "--errors-only", "--format", "json"]
    result = subprocess.run(  # noqa: S603 (fixed arguments, our own files)
        [*vnu, *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    try:
        messages = json.loads(result.stderr)["messages"]
    except ValueError:
        pytest.fail(f"the Nu HTML Checker did not run:\n{result.stderr}")
    names = {path.name: name for path, name in files.items()}
    errors = []
    for message in messages:
        if message.get("type") in ("error", "non-document-error"):
            url = message.get("url", "")
            extract = " ".join((message.get("extract") or "").split())
            errors.append(
                f"{names.get(url.rsplit('/', 1)[-1], url)}, line {message.get('lastLine')}: "
                f"{message['message']}\n    {extract}"
            )
    assert not errors, "the Nu HTML Checker found errors:\n" + "\n".join(errors)
    assert result.returncode == 0, result.stderr
