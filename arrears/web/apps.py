from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "arrears.web"
    verbose_name = "Web UI"
