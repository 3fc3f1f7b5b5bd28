from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "duster.community"
    label = "community"
