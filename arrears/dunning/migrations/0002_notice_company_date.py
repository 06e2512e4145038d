"""The reminder book lists a company's notices newest first, a page at a time: an index in that order."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("companies", "0001_initial"),
        ("dunning", "0001_initial"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="notice",
            index=models.Index(fields=["company", "notice_date", "id"], name="notice_company_date"),
        ),
    ]
