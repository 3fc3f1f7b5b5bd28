"""Cached guest pages follow community rows, whatever wrote them (the
services call pages_changed themselves; the admin, a shell or a management
command save and delete rows, and these receivers run), and follow the
names that comments and kudos show when a member renames a pseud or an
account."""

from django.db.models.signals import post_delete, post_save

from duster.accounts.models import Pseud, User
from duster.community.models import Bookmark, Comment, Kudos
from duster.lib.pagecache import pages_changed
from duster.works.signals import USER_FIELDS_UNSHOWN


def _row_changed(sender, instance, **kwargs) -> None:
    if getattr(instance, "work_id", None) is not None:
        pages_changed(work_ids=[instance.work_id])


def _commented_works(**where) -> set[int]:
    return set(Comment.objects.filter(**where).values_list("work_id", flat=True).distinct())


def _pseud_renamed(sender, instance: Pseud, created: bool = False, **kwargs) -> None:
    if not created:
        pages_changed(work_ids=_commented_works(pseud=instance), lists=False)


def _user_renamed(sender, instance: User, created: bool = False, update_fields=None, **kwargs):
    if created or (update_fields is not None and set(update_fields) <= USER_FIELDS_UNSHOWN):
        return
    kudosed = Kudos.objects.filter(user=instance).values_list("work_id", flat=True)
    pages_changed(work_ids=_commented_works(user=instance) | set(kudosed), lists=False)


def connect() -> None:
    """Called from CommunityConfig.ready."""
    for model in (Comment, Kudos, Bookmark):
        uid = f"community-pagecache-{model.__name__}"
        post_save.connect(_row_changed, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(_row_changed, sender=model, dispatch_uid=f"{uid}-delete")
    post_save.connect(_pseud_renamed, sender=Pseud, dispatch_uid="community-pseud-renamed")
    post_save.connect(_user_renamed, sender=User, dispatch_uid="community-user-renamed")
