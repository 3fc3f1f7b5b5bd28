"""Receivers: files follow their rows, and the cached host policy follows its row."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from duster.images.models import Image, ImageHostPolicy
from duster.images.policy import forget_policy
from duster.lib.pagecache import pages_changed


@receiver(post_delete, sender=Image)
def _delete_file(sender, instance: Image, **kwargs) -> None:
    # However the row goes (the owner, the admin, its uploader's account
    # deleted), the file goes with it, once that is committed.
    storage, name = instance.file.storage, instance.file.name
    if name:
        transaction.on_commit(lambda: storage.delete(name))


@receiver(post_save, sender=ImageHostPolicy)
def _forget_policy(sender, **kwargs) -> None:
    # Now, so this process reads the new row at once, and after the commit,
    # in case another request cached the old one in between.
    forget_policy()
    transaction.on_commit(forget_policy)
    # Outside images show as images or as links: every kept page may change.
    pages_changed(everything=True)
