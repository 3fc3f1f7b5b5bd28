from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "duster.imports"
    label = "imports"
