from django.apps import AppConfig


class DownloadsConfig(AppConfig):
    name = "duster.downloads"
    label = "downloads"

    def ready(self):
        from duster.downloads import signals

        signals.connect()
