from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "arrears.delivery"
    verbose_name = "Delivery"

    def ready(self) -> None:
        # Notices become outbox messages in the transaction that creates them (see outbox.py).
        from arrears.delivery import events, outbox
        from arrears.dunning.signals import invoices_handed_over, notices_created

        notices_created.connect(outbox.on_notices_created, dispatch_uid="delivery.outbox")
        # Hand-overs become event webhooks in the transaction that hands the invoices over (events.py).
        invoices_handed_over.connect(events.on_invoices_handed_over, dispatch_uid="delivery.events.handed_over")
