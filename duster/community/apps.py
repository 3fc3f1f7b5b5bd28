from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "duster.community"
    label = "community"

    def ready(self):
        from duster.community import signals

        signals.connect()

        from duster.community.services import subscriptions

        subscriptions.connect()
