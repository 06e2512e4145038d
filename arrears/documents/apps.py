from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "arrears.documents"
    verbose_name = "Documents"
