from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "arrears.ledger"
    verbose_name = "Ledger"
