from django.apps import AppConfig


class WorksConfig(AppConfig):
    name = "duster.works"
    label = "works"
