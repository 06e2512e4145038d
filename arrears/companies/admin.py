from django.contrib import admin

from arrears.companies.models import BankAccount, Company


class BankAccountInline(admin.TabularInline[BankAccount, Company]):
    model = BankAccount
    extra = 0


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin[Company]):
    list_display = ["code", "name", "country", "default_currency", "default_language", "time_zone"]
    search_fields = ["code", "name", "registration_no", "vat_no"]
    inlines = [BankAccountInline]
