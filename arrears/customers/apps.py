from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "arrears.customers"
    verbose_name = "Customers"
