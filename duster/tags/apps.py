from django.apps import AppConfig


class TagsConfig(AppConfig):
    name = "duster.tags"
    label = "tags"
