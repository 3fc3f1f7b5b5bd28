from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "duster.search"
    label = "search"

    def ready(self):
        from duster.search import upkeep

        upkeep.connect(self)
