"""Store domains prove ownership before they serve: existing domains become pending, each with its own token."""

import secrets

from django.db import migrations, models

import tenants.models


def give_each_domain_its_own_token(apps, schema_editor):
    # AddField computes a callable default once for every existing row; each domain needs its own.
    StoreDomain = apps.get_model("tenants", "StoreDomain")
    for domain in StoreDomain.objects.all().only("pk"):
        StoreDomain.objects.filter(pk=domain.pk).update(token=secrets.token_urlsafe(24))


class Migration(migrations.Migration):

    dependencies = [
        ('tenants', '0003_api_tokens'),
    ]

    operations = [
        migrations.AddField(
            model_name='storedomain',
            name='failed_checks',
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='storedomain',
            name='last_checked_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='storedomain',
            name='last_error',
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name='storedomain',
            name='status',
            field=models.CharField(choices=[('pending', 'Not checked yet'), ('failed', 'Not verified'), ('verified', 'Verified'), ('lost', 'Verification lost')], default='pending', max_length=10),
        ),
        migrations.AddField(
            model_name='storedomain',
            name='token',
            field=models.CharField(default=tenants.models.new_domain_token, max_length=64),
        ),
        migrations.RunPython(give_each_domain_its_own_token, migrations.RunPython.noop),
        migrations.AddField(
            model_name='storedomain',
            name='verified_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='storedomain',
            name='host',
            field=models.CharField(max_length=253, verbose_name='host name'),
        ),
        migrations.AddConstraint(
            model_name='storedomain',
            constraint=models.UniqueConstraint(fields=('store', 'host'), name='store_domain_host_once_per_store'),
        ),
        migrations.AddConstraint(
            model_name='storedomain',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'verified')), fields=('host',), name='store_domain_verified_by_one_store'),
        ),
    ]
