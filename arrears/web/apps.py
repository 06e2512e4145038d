from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "arrears.web"
    verbose_name = "Web UI"

    def ready(self) -> None:
        from django.contrib import admin
        from django.contrib.admin.forms import AdminAuthenticationForm

        from arrears.web.views.auth import ThrottledAuthenticationForm

        class ThrottledAdminForm(ThrottledAuthenticationForm, AdminAuthenticationForm):
            """The admin's login counts and refuses like the UI's: one throttle for both doors."""

        admin.site.login_form = ThrottledAdminForm
