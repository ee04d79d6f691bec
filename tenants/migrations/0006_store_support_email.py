from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0005_store_allow_staff_code_login"),
    ]

    operations = [
        migrations.AddField(
            model_name="store",
            name="support_email",
            field=models.EmailField(
                blank=True,
                help_text="Customers' replies to Amend's emails go here. Blank: emails do not invite a reply.",
                max_length=254,
                verbose_name="support email address",
            ),
        ),
    ]
