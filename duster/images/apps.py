from django.apps import AppConfig


class ImagesConfig(AppConfig):
    name = "duster.images"
    label = "images"
    verbose_name = "Images"

    def ready(self):
        from duster.images import signals  # noqa: F401  connects the receivers
