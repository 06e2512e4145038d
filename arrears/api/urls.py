"""(being built this session: the REST API's routes)"""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
