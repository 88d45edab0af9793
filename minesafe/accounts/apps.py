from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "minesafe.accounts"
    label = "accounts"
    verbose_name = "Accounts"
