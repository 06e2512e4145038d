"""What every page of the UI shows around its content: the user's role, the companies, the menu."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from arrears.accounts.roles import Role, role_of
from arrears.companies.models import Company
from arrears.web.access import SESSION_COMPANY


def navigation(request: HttpRequest) -> dict[str, Any]:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    role = role_of(request.user)
    companies = list(Company.objects.order_by("code").only("id", "code", "name"))
    chosen = request.session.get(SESSION_COMPANY)
    current = next((c for c in companies if c.pk == chosen), companies[0] if companies else None)
    return {
        "role": role,
        "is_clerk": role is not None and role >= Role.CLERK,
        "is_manager": role is not None and role >= Role.MANAGER,
        "companies": companies,
        "current_company": current,
    }
