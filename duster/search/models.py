"""What the search keeps beside the archive's own tables.

`SearchChange` is the log every app process follows to keep its in-memory
filter index (duster.search.index) in step with the database: each write that
changes what a search finds appends the ids of the works it changed, in the
same transaction, and a process applies the rows it has not seen before it
answers a search.
"""

from django.db import models


class SearchChange(models.Model):
    # Null: the whole index must be rebuilt (e.g. after rebuild_search_index).
    work_id = models.BigIntegerField(null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"change {self.pk}: work {self.work_id}"
