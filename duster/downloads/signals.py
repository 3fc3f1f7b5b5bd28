"""A download row's file leaves storage with the row, once the deletion commits."""

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.signals import post_delete

from duster.downloads.models import DownloadFile


def _file_deleted(sender, instance: DownloadFile, **kwargs) -> None:
    name = instance.file.name
    if name:
        transaction.on_commit(lambda: default_storage.delete(name))


def connect() -> None:
    post_delete.connect(_file_deleted, sender=DownloadFile, dispatch_uid="download-file-delete")
