"""A work's filter tags: canonical forms plus meta tags, kept right on every
write and after every change to the graph, inline or in resumable batches."""

import pytest

from duster.tags import filtering
from duster.tags.filtering import (
    filter_tag_ids,
    refilter_job_batch,
    refilter_resume,
    refilter_tags,
    work_filter_tags_refresh,
)
from duster.tags.fixed import fixed_tags
from duster.tags.models import FilterTagging, MetaTagging, RefilterJob, Tag, TagType
from duster.tags.tests.graphs import add_meta, canonical, merge, remove_meta, tag, unmerge
from duster.testing.factories import make_user, make_work
from duster.works.models import Work
from duster.works.services.works import work_update

pytestmark = pytest.mark.django_db
FANDOM = TagType.FANDOM


def _names(work: Work, tag_type: str | None = None) -> set[str]:
    tags = Tag.objects.filter(filter_taggings__work=work)
    if tag_type:
        tags = tags.filter(type=tag_type)
    return set(tags.values_list("name", flat=True))


def _titles(tag_obj: Tag) -> set[str]:
    return set(Work.objects.filter(filter_tags=tag_obj).values_list("title", flat=True))


def _all_rows() -> set[tuple[int, int]]:
    return set(FilterTagging.objects.values_list("work_id", "tag_id"))


@pytest.fixture
def author():
    return make_user("author")


class TestOnWrite:
    def test_a_new_work_is_filtered_by_its_own_tags_and_its_fixed_tags(self, author):
        work = make_work(
            author,
            title="W",
            relationships=["Spike/Buffy"],
            freeforms=["Angst"],
            rating="teen",
            warnings=["violence"],
            categories=["fm"],
        )
        assert _names(work) == {
            "Lamplighter Chronicles",
            "Spike/Buffy",
            "Angst",
            "Teen And Up Audiences",
            "Graphic Depictions Of Violence",
            "F/M",
        }

    def test_a_synonym_on_a_new_work_files_it_under_the_canonical_and_its_metas(self, author):
        make_work(author, relationships=["Spuffy"])
        merge(tag("Spuffy"), canonical("Buffy Summers/Spike"))
        meta = canonical("Buffy Summers & Spike (any kind)")
        add_meta(tag("Buffy Summers/Spike"), meta)
        work = make_work(author, title="New", relationships=["Spuffy"])
        assert _names(work, TagType.RELATIONSHIP) == {
            "Buffy Summers/Spike",
            "Buffy Summers & Spike (any kind)",
        }

    def test_an_update_replaces_the_filter_tags_and_follows_the_rating(self, author):
        work = make_work(author, freeforms=["Angst"], rating="general")
        work_update(
            work=work,
            fields={"rating": "explicit", "warnings": ["none"]},
            tags={"fandoms": ["Other Fandom"], "freeforms": ["Fluff"]},
        )
        assert _names(work) == {"Other Fandom", "Fluff", "Explicit", "No Archive Warnings Apply"}


class TestGraphChanges:
    def test_merging_spellings_finds_every_work_under_the_canonical(self, author):
        for title, spelling in [("A", "Spike/Buffy"), ("B", "spike x buffy"), ("C", "Spuffy")]:
            make_work(author, title=title, relationships=[spelling])
        target = canonical("Buffy Summers/Spike")
        for spelling in ("Spike/Buffy", "spike x buffy", "Spuffy"):
            merge(tag(spelling), target)
        assert _titles(target) == {"A", "B", "C"}
        assert not FilterTagging.objects.filter(tag=tag("Spuffy")).exists()

    def test_unmerging_gives_the_spelling_its_works_back(self, author):
        make_work(author, title="A", relationships=["Spuffy"])
        make_work(author, title="B", relationships=["Buffy Summers/Spike"])
        target = canonical("Buffy Summers/Spike")
        merge(tag("Spuffy"), target)
        unmerge(tag("Spuffy"))
        assert _titles(target) == {"B"}
        assert _titles(tag("Spuffy")) == {"A"}

    def test_a_meta_chain_finds_works_of_every_sub_tag_and_synonym(self, author):
        make_work(author, title="TV", fandoms=["BtVS (TV)"])
        make_work(author, title="Comic", fandoms=["BtVS Season 8 (Comics)"])
        make_work(author, title="Misspelt", fandoms=["Buffy tVS"])
        make_work(author, title="Elsewhere", fandoms=["Firefly"])
        tv = canonical("BtVS (TV)", FANDOM)
        comic = canonical("BtVS Season 8 (Comics)", FANDOM)
        comics = canonical("BtVS Comics", FANDOM)
        everything = canonical("Buffy - All Media Types", FANDOM)
        whedon = canonical("Whedonverse", FANDOM)
        merge(tag("Buffy tVS", FANDOM), tv)
        add_meta(comic, comics)
        add_meta(comics, everything)
        add_meta(tv, everything)
        add_meta(everything, whedon)
        assert _titles(everything) == {"TV", "Comic", "Misspelt"}
        assert _titles(whedon) == {"TV", "Comic", "Misspelt"}
        assert _titles(comics) == {"Comic"}

    def test_removing_a_meta_tag_takes_its_works_away_from_the_whole_chain(self, author):
        make_work(author, title="Comic", fandoms=["Comic"])
        comic, middle, top = (canonical(n, FANDOM) for n in ("Comic", "Middle", "Top"))
        add_meta(comic, middle)
        add_meta(middle, top)
        remove_meta(comic, middle)
        assert _titles(top) == set()
        assert _titles(middle) == set()
        assert _titles(comic) == {"Comic"}

    def test_a_diamond_of_meta_tags_gives_each_filter_tag_once(self, author):
        work = make_work(author, fandoms=["Base"])
        base, left, right, top = (canonical(n, FANDOM) for n in ("Base", "Left", "Right", "Top"))
        add_meta(base, left)
        add_meta(base, right)
        add_meta(left, top)
        add_meta(right, top)
        assert FilterTagging.objects.filter(work=work, tag=top).count() == 1
        assert {"Base", "Left", "Right", "Top"} <= _names(work)

    def test_filter_tags_stored_match_what_the_graph_says(self, author):
        works = [make_work(author, fandoms=[f"F{i % 3}"]) for i in range(6)]
        add_meta(canonical("F0", FANDOM), canonical("F1", FANDOM))
        wanted = filter_tag_ids(w.pk for w in works)
        assert {(w, t) for w, tags in wanted.items() for t in tags} == _all_rows()


class TestBatches:
    """Big changes run as a job in batches; each batch commits with the progress."""

    def _archive(self, author, n=23):
        for i in range(n):
            make_work(author, title=f"W{i}", relationships=["Spike/Buffy" if i % 2 else "Spuffy"])
        make_work(author, title="Other", relationships=["Xander/Anya"])

    def _everything_recomputed(self) -> set[tuple[int, int]]:
        """The rows the inline path gives, every work recomputed from scratch."""
        rows = _all_rows()
        FilterTagging.objects.all().delete()
        work_filter_tags_refresh(work_ids=Work.objects.values_list("pk", flat=True))
        inline = _all_rows()
        assert inline == rows
        return inline

    def _merge_without_refilter(self, target: Tag, *spellings: str) -> list[int]:
        ids = [target.pk]
        for spelling in spellings:
            synonym = tag(spelling)
            synonym.merger = target
            synonym.save()
            ids.append(synonym.pk)
        return ids

    def test_a_big_change_becomes_a_job_run_by_a_task_after_commit(
        self, author, settings, django_capture_on_commit_callbacks
    ):
        self._archive(author)
        settings.TAG_REFILTER_INLINE_MAX = 5
        settings.TAG_REFILTER_BATCH_SIZE = 4
        target = canonical("Buffy Summers/Spike")
        spuffy = tag("Spuffy")
        spuffy.merger = target
        spuffy.save()
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            job = refilter_tags(tag_ids=[spuffy.pk, target.pk], reason="merge Spuffy")
            assert job is not None and job.total == 12
            assert not FilterTagging.objects.filter(tag=target).exists()  # not yet
        assert len(callbacks) == 1
        job.refresh_from_db()
        assert job.finished_at is not None and job.done == job.total == 12
        assert _titles(target) == {f"W{i}" for i in range(0, 23, 2)}

    def test_an_interrupted_job_resumed_gives_exactly_the_right_rows(
        self, author, settings, monkeypatch
    ):
        self._archive(author)
        settings.TAG_REFILTER_INLINE_MAX = 0
        settings.TAG_REFILTER_BATCH_SIZE = 5
        target = canonical("Buffy Summers/Spike")
        ids = self._merge_without_refilter(target, "Spuffy", "Spike/Buffy")
        job = refilter_tags(tag_ids=ids, reason="merge")
        assert job is not None and job.total == 23
        real = filtering.work_filter_tags_refresh
        batches = {"n": 0}

        def killed_after_two(**kwargs):
            if batches["n"] == 2:
                raise SystemExit("worker killed")
            batches["n"] += 1
            return real(**kwargs)

        monkeypatch.setattr(filtering, "work_filter_tags_refresh", killed_after_two)
        with pytest.raises(SystemExit):
            filtering.refilter_job_run(job_id=job.pk)
        job.refresh_from_db()
        assert (job.done, job.finished_at) == (10, None)
        assert len(_titles(target)) == 10  # two batches committed, no more
        monkeypatch.setattr(filtering, "work_filter_tags_refresh", real)
        (resumed,) = refilter_resume()
        assert resumed.finished_at is not None and resumed.done == resumed.total == 23
        assert _titles(target) == {f"W{i}" for i in range(23)}
        assert not FilterTagging.objects.filter(tag__name__in=["Spuffy", "Spike/Buffy"]).exists()
        assert refilter_resume() == []
        self._everything_recomputed()

    def test_a_batch_run_twice_changes_nothing(self, author, settings):
        self._archive(author, n=6)
        settings.TAG_REFILTER_INLINE_MAX = 0
        settings.TAG_REFILTER_BATCH_SIZE = 100
        target = canonical("Buffy Summers/Spike")
        synonym = tag("Spuffy")
        synonym.merger = target
        synonym.save()
        job = refilter_tags(tag_ids=[synonym.pk, target.pk], reason="merge")
        assert job is not None
        assert refilter_job_batch(job_id=job.pk) is False
        rows = _all_rows()
        RefilterJob.objects.filter(pk=job.pk).update(finished_at=None, last_work_id=0, done=0)
        refilter_job_batch(job_id=job.pk)
        assert _all_rows() == rows

    @pytest.mark.parametrize("inline_max", [0, 10_000])
    def test_bulk_and_inline_paths_give_identical_rows(self, author, settings, inline_max):
        self._archive(author)
        settings.TAG_REFILTER_INLINE_MAX = inline_max
        settings.TAG_REFILTER_BATCH_SIZE = 3
        target = canonical("Buffy Summers/Spike")
        meta = canonical("Buffy & Spike - All")
        ids = self._merge_without_refilter(target, "Spuffy", "Spike/Buffy")
        MetaTagging.objects.create(sub=target, meta=meta)
        job = refilter_tags(tag_ids=[*ids, meta.pk], reason="merge and meta")
        if inline_max:
            assert job is None
        else:
            assert job is not None
            filtering.refilter_job_run(job_id=job.pk)
        assert _titles(meta) == {f"W{i}" for i in range(23)}
        assert "Other" in _titles(tag("Xander/Anya"))
        self._everything_recomputed()

    def test_nothing_to_refilter_makes_no_job(self, author):
        assert refilter_tags(tag_ids=[], reason="nothing") is None
        lonely = canonical("Nobody Uses This")
        assert refilter_tags(tag_ids=[lonely.pk], reason="nothing") is None
        assert not RefilterJob.objects.exists()

    def test_the_rating_tag_is_among_the_filter_tags(self, author):
        work = make_work(author, rating="mature")
        assert FilterTagging.objects.filter(
            work=work, tag=fixed_tags()[TagType.RATING]["mature"]
        ).exists()


def _rows_with_ids_of(rows: set[tuple[int, int]], target: Tag) -> set[tuple[int, int]]:
    """`rows` from the inline run, with the canonical tag's old id replaced by
    the id it has in this run (it was deleted and made again)."""
    old = {t for _, t in rows} - set(Tag.objects.values_list("pk", flat=True))
    return {(w, target.pk if t in old else t) for w, t in rows}
