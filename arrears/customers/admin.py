from django.contrib import admin

from arrears.customers.models import Contact, Customer, CustomerGroup


class ContactInline(admin.TabularInline[Contact, Customer]):
    model = Contact
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin[Customer]):
    list_display = ["external_id", "name", "country", "language", "dunning_enabled", "paused_until", "disputed"]
    list_filter = ["company", "dunning_enabled", "disputed", "language", "groups"]
    search_fields = ["external_id", "name", "contacts__email", "registration_no", "vat_no"]
    filter_horizontal = ["groups"]
    inlines = [ContactInline]
    list_per_page = 50
    show_full_result_count = False  # a COUNT(*) over 100,000 customers on every page is wasted work


@admin.register(CustomerGroup)
class CustomerGroupAdmin(admin.ModelAdmin[CustomerGroup]):
    list_display = ["code", "name", "company"]
    list_filter = ["company"]
