from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "arrears.delivery"
    verbose_name = "Delivery"

    def ready(self) -> None:
        # Notices become outbox messages in the transaction that creates them (see outbox.py).
        from arrears.delivery import outbox
        from arrears.dunning.signals import notices_created

        notices_created.connect(outbox.on_notices_created, dispatch_uid="delivery.outbox")
