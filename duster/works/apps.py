from django.apps import AppConfig
from django.db.models.signals import post_migrate


class WorksConfig(AppConfig):
    name = "duster.works"
    label = "works"

    def ready(self):
        from django.core.signals import request_finished

        from duster.lib.sqlite import sqlite_optimize_now_and_then, sqlite_refresh_statistics

        post_migrate.connect(sqlite_refresh_statistics, sender=self)
        request_finished.connect(sqlite_optimize_now_and_then, dispatch_uid="sqlite-optimize")

        from duster.works import signals

        signals.connect()
