"""An import that stops half-way (a crash, a killed process) leaves whole stories only, and
the next run finishes it without duplicating anything."""

import pytest

from duster.accounts.models import User
from duster.imports.efiction import importer
from duster.imports.models import ImportKind, LegacyId
from duster.imports.tests.efiction_helpers import archive_text, legacy, run_import, snapshot
from duster.works.models import Chapter, Work

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_crash_half_way_leaves_whole_stories_and_the_next_run_finishes(tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "BATCH", 2)  # stories commit two at a time
    write = importer.ArchiveImport._story_write

    def crash_at_sid_6(self, sid, *args):
        if sid == 6:
            raise RuntimeError("the machine went down")
        return write(self, sid, *args)

    monkeypatch.setattr(importer.ArchiveImport, "_story_write", crash_at_sid_6)
    with pytest.raises(RuntimeError):
        run_import(archive_text(), tmp_path=tmp_path)
    # Stories 1-4 were committed in their batches; 5 and 6 shared the batch that failed.
    assert sorted(legacy(ImportKind.STORY)) == [1, 2, 3, 4]
    assert Work.objects.count() == 4
    expected = {1: 1, 2: 3, 3: 4, 4: 1}
    for sid, work_id in legacy(ImportKind.STORY).items():
        assert Chapter.objects.filter(work_id=work_id).count() == expected[sid]

    monkeypatch.setattr(importer.ArchiveImport, "_story_write", write)
    out = run_import(archive_text(), tmp_path=tmp_path)
    assert "story: 6 imported, 4 unchanged" in out
    assert Work.objects.count() == 10
    finished = snapshot()

    # The same as an import that never stopped.
    Work.objects.all().delete()
    LegacyId.objects.all().delete()
    User.objects.all().delete()
    run_import(archive_text(), tmp_path=tmp_path)
    assert snapshot() == finished
