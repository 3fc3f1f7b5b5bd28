"""`manage.py wrangle`: the wrangling actions from the command line."""

import io
import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from duster.tags.models import MetaTagging, Tag, TagFandom, WranglingLog
from duster.testing.factories import make_user, make_work

pytestmark = pytest.mark.django_db


def wrangle(*args) -> str:
    out = io.StringIO()
    call_command("wrangle", *args, stdout=out)
    return out.getvalue()


def filter_names(work) -> set[str]:
    return set(Tag.objects.filter(filter_taggings__work=work).values_list("name", flat=True))


@pytest.fixture
def works():
    author = make_user("author")
    return [
        make_work(author, fandoms=["Buffy the Vampire Slayer (TV)"], relationships=[name])
        for name in ("Spike/Buffy", "buffy x spike", "Spuffy")
    ]


def test_three_spellings_become_one_relationship_under_the_fandom_meta_tag(works):
    out = wrangle("canonical", "Buffy Summers/Spike", "--type", "relationship")
    assert "created relationship “Buffy Summers/Spike”" in out
    assert "now canonical" in out
    out = wrangle(
        "merge", "Spike/Buffy", "buffy x spike", "Spuffy", "--into", "Buffy Summers/Spike"
    )
    assert out.count("now a synonym of “Buffy Summers/Spike”") == 3
    wrangle("canonical", "Buffy the Vampire Slayer (TV)", "--type", "fandom")
    wrangle("canonical", "Buffy the Vampire Slayer - All Media Types", "--type", "fandom")
    out = wrangle(
        "meta",
        "Buffy the Vampire Slayer (TV)",
        "--meta",
        "Buffy the Vampire Slayer - All Media Types",
    )
    assert "now has the meta tag" in out
    out = wrangle("fandom", "Buffy Summers/Spike", "--fandom", "buffy the vampire slayer (tv)")
    assert "now in the fandom “Buffy the Vampire Slayer (TV)”" in out
    for work in works:
        assert {
            "Buffy Summers/Spike",
            "Buffy the Vampire Slayer - All Media Types",
        } <= filter_names(work)
    canonical = Tag.objects.get(name="Buffy Summers/Spike")
    assert TagFandom.objects.filter(tag=canonical, fandom__name__startswith="Buffy").exists()
    assert WranglingLog.objects.filter(action="merge", actor=None).count() == 3


def test_resume_finishes_a_re_filter_job_left_unfinished(works, settings):
    settings.TAG_REFILTER_INLINE_MAX = 0  # every merge becomes a job for the task worker
    wrangle("canonical", "Buffy Summers/Spike", "--type", "relationship")
    wrangle("merge", "Spuffy", "--into", "Buffy Summers/Spike")
    # The task starts only once the merge commits; here nothing committed, as
    # when the worker was stopped before it ran the job.
    assert "Buffy Summers/Spike" not in filter_names(works[2])
    out = wrangle("resume")
    assert "Re-filtered 1 of 1 works" in out
    assert "Buffy Summers/Spike" in filter_names(works[2])
    assert wrangle("resume") == "No re-filter job was unfinished.\n"


def test_running_a_command_again_says_nothing_changed(works):
    wrangle("canonical", "Spuffy", "--type", "relationship")
    assert "already canonical" in wrangle("canonical", "Spuffy", "--type", "relationship")


def test_a_bad_name_is_a_one_line_error(works):
    with pytest.raises(CommandError) as caught:
        wrangle("merge", "Nobody/Nothing", "--into", "Spuffy")
    assert "\n" not in str(caught.value)
    with pytest.raises(CommandError) as caught:
        wrangle("merge", "Spike/Buffy", "--into", "Spuffy")
    assert "not canonical" in str(caught.value)


def test_a_cycle_is_a_one_line_error_and_changes_nothing(works):
    wrangle("canonical", "A", "B", "--type", "freeform")
    wrangle("meta", "A", "--meta", "B")
    with pytest.raises(CommandError) as caught:
        wrangle("meta", "B", "--meta", "A")
    assert "cycle" in str(caught.value)
    assert MetaTagging.objects.count() == 1


def test_suggest_lists_and_then_accepts_the_suggestions(works):
    wrangle("canonical", "Buffy Summers", "Spike", "--type", "character")
    wrangle("canonical", "Buffy Summers/Spike", "--type", "relationship")
    out = wrangle("suggest", "--type", "relationship")
    assert "“Spike/Buffy” → “Buffy Summers/Spike”" in out
    assert "“buffy x spike” → “Buffy Summers/Spike”" in out
    assert "2 suggestions" in out
    assert Tag.objects.get(name="Spike/Buffy").merger is None
    out = wrangle("suggest", "--accept")
    assert "2 suggestions, 2 accepted." in out
    assert Tag.objects.get(name="Spike/Buffy").merger == Tag.objects.get(name="Buffy Summers/Spike")


def test_the_exit_status_is_1_on_a_bad_name(tmp_path):
    database = tmp_path / "wrangle.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], env=env, check=True
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "wrangle", "merge", "Nope", "--into", "Nothing"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "no tag called “Nothing”" in result.stderr
