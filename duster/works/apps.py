from django.apps import AppConfig
from django.db.models.signals import post_migrate


class WorksConfig(AppConfig):
    name = "duster.works"
    label = "works"

    def ready(self):
        from duster.lib.sqlite import sqlite_refresh_statistics

        post_migrate.connect(sqlite_refresh_statistics, sender=self)
