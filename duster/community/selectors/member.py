"""What one member has of one work, for its reading pages' community footer
(duster.community.page): their bookmark, their reading, their subscription,
their kudos. One statement: each through the ORM costs a query of its own,
and building and compiling four queries cost a member's page more than all
the rest of its community footer."""

from dataclasses import dataclass

from django.db import connection

from duster.community.models import Bookmark, Kudos, Reading, Subscription


@dataclass(frozen=True)
class MemberOfWork:
    bookmark_id: int | None
    # Their Reading with id, chapter_id and marked_for_later only; None if none.
    reading: Reading | None
    subscribed: bool
    kudos_given: bool


def _statement() -> str:
    """Table names from the models, quoted; every value a parameter."""
    quote = connection.ops.quote_name
    bookmark, subscription = quote(Bookmark._meta.db_table), quote(Subscription._meta.db_table)
    kudos, reading = quote(Kudos._meta.db_table), quote(Reading._meta.db_table)
    return " ".join(
        [
            "SELECT (SELECT b.id FROM",
            bookmark,
            "b WHERE b.user_id = %s AND b.work_id = %s ORDER BY b.id LIMIT 1),",
            "EXISTS (SELECT 1 FROM",
            subscription,
            "s WHERE s.user_id = %s AND s.work_id = %s),",
            "EXISTS (SELECT 1 FROM",
            kudos,
            "k WHERE k.user_id = %s AND k.work_id = %s),",
            "r.id, r.chapter_id, r.marked_for_later FROM (SELECT 1 AS one) here LEFT JOIN",
            reading,
            "r ON r.user_id = %s AND r.work_id = %s",
        ]
    )


def member_of_work(user, work) -> MemberOfWork:
    """`user`'s (a member's) bookmark, reading, subscription and kudos of `work`."""
    with connection.cursor() as cursor:
        cursor.execute(_statement(), [user.pk, work.pk] * 4)
        bookmark_id, subscribed, kudos_given, reading_id, chapter_id, marked = cursor.fetchone()
    reading = None
    if reading_id is not None:
        fields = ["id", "chapter_id", "marked_for_later"]
        reading = Reading.from_db(connection.alias, fields, [reading_id, chapter_id, bool(marked)])
    return MemberOfWork(bookmark_id, reading, bool(subscribed), bool(kudos_given))
