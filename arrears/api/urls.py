"""The REST API under /api/ (mounted by arrears/urls.py), in the namespace "api"."""

from django.urls import URLPattern, URLResolver

from arrears.api.api import api

app_name = "api"
urlpatterns: list[URLPattern | URLResolver] = api.urls[0]
