"""Bulk cancellation under /app/<store>/bulk/: choose orders, preview, start, follow, pause, stop, download.

Every page goes through `StoreStaffView`: reading a job needs `requests:read` (the new-job page
`orders:read`), and anything that previews, starts or steers a job needs `requests:decide`. Another
store's job id is a 404.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils.translation import gettext as _

from cancellations.bulk.selectors import (
    BulkPreview,
    access_bulk_job,
    bulk_result_rows,
    preview_bulk_cancel,
    recent_bulk_jobs,
)
from cancellations.bulk.services import cancel_bulk_job, pause_bulk_job, resume_bulk_job, start_bulk_cancel
from cancellations.models import BulkCancelItem, BulkCancelJob, BulkItemStatus
from cancellations.requests.actors import Actor
from portal.csv_export import Echo, safe_cell
from portal.merchant.base import StoreStaffView
from portal.merchant.bulk.forms import BulkCancelForm
from tenants.errors import DomainError, NotFound, PermissionDenied
from tenants.roles import Scope

# Items with a problem listed on the job page (the CSV has every one).
PROBLEMS_SHOWN = 50


class BulkNewView(StoreStaffView):
    required_scopes = {"GET": Scope.ORDERS_READ, "POST": Scope.REQUESTS_DECIDE}
    nav = "bulk"

    def _page(
        self,
        request: HttpRequest,
        form: BulkCancelForm,
        *,
        preview: BulkPreview | None = None,
        status: int = 200,
    ) -> HttpResponse:
        context = {
            "form": form,
            "preview": preview,
            "jobs": recent_bulk_jobs(store=self.store),
            "may_decide": self.access.has(Scope.REQUESTS_DECIDE),
        }
        return self.render(request, "merchant/bulk.html", context, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._page(request, BulkCancelForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = BulkCancelForm(request.POST)
        if not form.is_valid():
            return self._page(request, form, status=400)
        if request.POST.get("action") == "start":
            return self._start(request, form)
        try:
            preview = preview_bulk_cancel(
                store=self.store, refund_method=form.cleaned_data["refund_method"], **form.selection()
            )
        except DomainError as error:
            form.add_error(None, error.message)
            return self._page(request, form, status=400)
        # A fresh key for this confirmation: submitting it twice starts one job.
        data = request.POST.copy()
        data["start_key"] = uuid.uuid4().hex
        confirm = BulkCancelForm(data)
        confirm.is_valid()
        return self._page(request, confirm, preview=preview)

    def _start(self, request: HttpRequest, form: BulkCancelForm) -> HttpResponse:
        try:
            job = start_bulk_cancel(
                store=self.store,
                actor=Actor.staff(self.access),
                start_key=form.cleaned_data.get("start_key") or "",
                **form.selection(),
                **form.settings(),
            )
        except PermissionDenied as error:
            raise DjangoPermissionDenied(error.message) from None
        except DomainError as error:
            form.add_error(None, error.message)
            return self._page(request, form, status=400)
        messages.success(request, _("Bulk cancellation #%(id)s started.") % {"id": job.pk})
        return self.redirect_here("merchant:bulk_job", job_id=job.pk)


class BulkJobMixin(StoreStaffView):
    def job(self, job_id: int) -> BulkCancelJob:
        try:
            return access_bulk_job(store=self.store, job_id=job_id)
        except NotFound:
            raise Http404 from None


def progress(job: BulkCancelJob) -> dict[str, Any]:
    """What the job page shows, as JSON for its script."""
    return {
        "id": job.pk,
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "total": job.total_count,
        "done": job.done_count,
        "skipped": job.skipped_count,
        "failed": job.failed_count,
        "pending": job.pending_count,
        "processed": job.processed_count,
        "percent": job.percent,
        "refunded": f"{job.refunded_total:.2f}",
        "currency": job.currency,
        "finished": job.is_finished,
        "can_pause": job.can_pause,
        "can_resume": job.can_resume,
        "can_cancel": job.can_cancel,
        "last_error": job.last_error,
    }


class BulkJobView(BulkJobMixin):
    required_scopes = {"GET": Scope.REQUESTS_READ, "POST": Scope.REQUESTS_DECIDE}
    nav = "bulk"

    def get(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = self.job(job_id)
        problems = list(
            BulkCancelItem.objects.for_store(self.store)
            .filter(job=job, status__in=(BulkItemStatus.FAILED, BulkItemStatus.SKIPPED))
            .order_by("id")[:PROBLEMS_SHOWN]
        )
        context = {
            "job": job,
            "problems": problems,
            "problems_shown": PROBLEMS_SHOWN,
            "may_decide": self.access.has(Scope.REQUESTS_DECIDE),
        }
        return self.render(request, "merchant/bulk_job.html", context)

    def post(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = self.job(job_id)
        steps = {"pause": pause_bulk_job, "resume": resume_bulk_job, "cancel": cancel_bulk_job}
        step = steps.get(request.POST.get("action", ""))
        if step is None:
            messages.error(request, _("Choose pause, resume or stop."))
            return self.redirect_here("merchant:bulk_job", job_id=job.pk)
        try:
            step(store=self.store, job_id=job.pk, actor=Actor.staff(self.access))
        except NotFound:
            raise Http404 from None
        except DomainError as error:
            messages.error(request, error.message)
        else:
            done = {
                "pause": _("Pausing: the orders in hand are finished first."),
                "resume": _("Resumed."),
                "cancel": _("Stopping: orders not reached yet will be skipped."),
            }
            messages.success(request, done[request.POST["action"]])
        return self.redirect_here("merchant:bulk_job", job_id=job.pk)


class BulkProgressView(BulkJobMixin):
    required_scopes = {"GET": Scope.REQUESTS_READ}

    def get(self, request: HttpRequest, job_id: int) -> HttpResponse:
        response = JsonResponse(progress(self.job(job_id)))
        response["Cache-Control"] = "no-store"
        return response


class BulkResultView(BulkJobMixin):
    required_scopes = {"GET": Scope.REQUESTS_READ}

    def get(self, request: HttpRequest, job_id: int) -> StreamingHttpResponse:
        job = self.job(job_id)
        writer = csv.writer(Echo())

        def lines() -> Iterator[str]:
            yield writer.writerow(["number", "status", "message", "refund", "currency"])
            for row in bulk_result_rows(store=self.store, job=job):
                yield writer.writerow(
                    [safe_cell(row.number), row.status, safe_cell(row.message), row.refund, row.currency]
                )

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="bulk-cancellation-{job.pk}.csv"'
        return response
