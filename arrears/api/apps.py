from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "arrears.api"
    verbose_name = "REST API"
