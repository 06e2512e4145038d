from django.contrib import admin

from arrears.documents.models import MessageTemplate


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin[MessageTemplate]):
    list_display = ["key", "language", "company", "subject", "updated_at"]
    list_filter = ["company", "key", "language"]
    search_fields = ["subject", "opening", "closing", "body"]
