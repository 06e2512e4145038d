"""(being built this session: replaced by the screen's real views)"""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from arrears.accounts.roles import Role
from arrears.web.access import role_required


@role_required(Role.VIEWER)
def pending(request: HttpRequest) -> HttpResponse:
    return HttpResponse("being built")


urlpatterns = [
    path("print/", pending, name="print_batches"),
]
