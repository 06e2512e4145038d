from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "arrears.accounts"
    verbose_name = "Users and access"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from arrears.accounts.roles import ensure_roles

        # The three role groups and their permissions exist in every database, fresh or migrated.
        post_migrate.connect(lambda **kwargs: ensure_roles(), sender=self, weak=False)
