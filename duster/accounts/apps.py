from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "duster.accounts"
    label = "accounts"
