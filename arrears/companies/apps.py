from django.apps import AppConfig


class CompaniesConfig(AppConfig):
    name = "arrears.companies"
    verbose_name = "Companies"
