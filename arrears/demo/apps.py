from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "arrears.demo"
    verbose_name = "Demo"
