from django.apps import AppConfig


class HistoryConfig(AppConfig):
    name = "arrears.history"
    verbose_name = "History"
