from __future__ import annotations

import os
import secrets
import sys
from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Q

from arrears.companies.commands import add_company_option, cli_actor, command_company
from arrears.delivery.events import REAL_EVENTS
from arrears.delivery.models import EventDelivery, WebhookEndpoint
from arrears.delivery.webhooks import send_test_event

EVENTS = [e.value for e in WebhookEndpoint.Event]
MIN_SECRET = 16


def new_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


class Command(BaseCommand):
    help = "Event webhooks: add, list, remove, test. Secrets are shown once, when generated, and never again."

    def add_arguments(self, parser: ArgumentParser) -> None:
        add_company_option(parser)
        sub = parser.add_subparsers(dest="action", required=True)
        a = sub.add_parser("add", help="add an endpoint; without --secret-env/--secret-stdin a secret is made")
        a.add_argument("url", help="where events are POSTed, e.g. https://erp.example.com/arrears-events")
        a.add_argument(
            "--events",
            default=",".join(EVENTS),
            help=f"comma-separated event types (default: all): {', '.join(EVENTS)}",
        )
        a.add_argument("--description", default="")
        a.add_argument("--secret-env", metavar="VAR", help="take the signing secret from this environment variable")
        a.add_argument("--secret-stdin", action="store_true", help="read the signing secret from standard input")
        a.add_argument("--inactive", action="store_true", help="add it switched off (it gets no events)")
        sub.add_parser("list", help="the endpoints, with their pending and failed deliveries (never the secret)")
        r = sub.add_parser("remove", help="remove an endpoint and its deliveries")
        r.add_argument("id", type=int)
        t = sub.add_parser("test", help="send a signed webhook.test event now, once, and print the reply")
        t.add_argument("id", type=int)

    def handle(self, *args: Any, **opts: Any) -> None:
        company = command_company(opts["company"])
        action = opts["action"]
        if action == "add":
            self._add(company, opts)
            return
        if action == "list":
            endpoints = (
                WebhookEndpoint.objects.filter(company=company)
                .annotate(
                    pending=Count(
                        "deliveries",
                        filter=Q(
                            deliveries__status=EventDelivery.Status.PENDING, deliveries__event_type__in=REAL_EVENTS
                        ),
                    ),
                    failed=Count(
                        "deliveries",
                        filter=Q(
                            deliveries__status=EventDelivery.Status.FAILED, deliveries__event_type__in=REAL_EVENTS
                        ),
                    ),
                )
                .order_by("pk")
            )
            for e in endpoints:
                state = "active" if e.active else "inactive"
                self.stdout.write(
                    f"#{e.pk:<4} {state:<8} {e.url}  events={','.join(e.events)}  "
                    f"pending={e.pending} failed={e.failed}" + (f"  {e.description}" if e.description else "")
                )
            return
        endpoint = WebhookEndpoint.objects.filter(company=company, pk=opts["id"]).first()
        if endpoint is None:
            raise CommandError(f"no webhook #{opts['id']} in {company.code}; see 'arrears webhook list'")
        if action == "remove":
            endpoint.delete()
            self.stdout.write(f"removed webhook #{opts['id']}")
        elif action == "test":
            delivery = send_test_event(endpoint, cli_actor())
            if delivery.status != EventDelivery.Status.DELIVERED:
                raise CommandError(f"webhook #{endpoint.pk}: not delivered: {delivery.last_error}")
            self.stdout.write(
                f"webhook #{endpoint.pk}: test event {delivery.event_id} delivered, HTTP {delivery.last_status}"
            )

    def _add(self, company: Any, opts: dict[str, Any]) -> None:
        events = [e.strip() for e in opts["events"].split(",") if e.strip()]
        unknown = [e for e in events if e not in EVENTS]
        if unknown or not events:
            named = ", ".join(unknown) or "(none)"
            raise CommandError(f"unknown event type(s) {named}; choose from {', '.join(EVENTS)}")
        generated = False
        if opts["secret_stdin"]:
            secret = sys.stdin.readline().rstrip("\r\n")
        elif opts["secret_env"]:
            if opts["secret_env"] not in os.environ:
                raise CommandError(f"the environment variable {opts['secret_env']} is not set")
            secret = os.environ[opts["secret_env"]]
        else:
            secret, generated = new_secret(), True
        if len(secret) < MIN_SECRET:
            raise CommandError(f"the secret must have at least {MIN_SECRET} characters")
        endpoint = WebhookEndpoint(
            company=company,
            url=opts["url"],
            secret=secret,
            events=list(dict.fromkeys(events)),
            active=not opts["inactive"],
            description=opts["description"],
        )
        try:
            endpoint.full_clean(exclude=["company"])
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from None
        endpoint.save()
        self.stdout.write(f"added webhook #{endpoint.pk} {endpoint.url} for {', '.join(endpoint.events)}")
        if generated:
            self.stdout.write(f"secret (shown this once; give it to the receiver): {secret}")
