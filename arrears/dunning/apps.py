from django.apps import AppConfig


class DunningConfig(AppConfig):
    name = "arrears.dunning"
    verbose_name = "Dunning"
