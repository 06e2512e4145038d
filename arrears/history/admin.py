from django.contrib import admin

from arrears.history.models import Event, Note


class ReadOnlyAdminMixin:
    """For records that are written only by arrears itself (history, allocations): viewable, never
    added, changed or deleted by hand in the admin."""

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Event]):
    list_display = ["at", "kind", "summary", "actor_label", "customer", "invoice"]
    list_filter = ["kind"]
    search_fields = ["summary", "customer__external_id", "invoice__number"]
    date_hierarchy = "at"
    list_select_related = ["customer", "invoice"]


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin[Note]):
    list_display = ["created_at", "customer", "invoice", "text", "author_label"]
    search_fields = ["text", "customer__external_id"]
    raw_id_fields = ["customer", "invoice"]
