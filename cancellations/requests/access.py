"""The one scoped way in to a store's requests (STYLE #2): by id and store, or NotFound."""

from __future__ import annotations

from cancellations.models import OrderRequest
from tenants.errors import NotFound
from tenants.models import Store


def access_request(*, store: Store, request_id: int, lock: bool = False) -> OrderRequest:
    """The store's request with this id (locked until the transaction ends when `lock`), or NotFound."""
    requests = OrderRequest.objects.for_store(store)
    if lock:
        # Lock only the request row: the order is read, not changed, by a transition.
        requests = requests.select_for_update(of=("self",))
    request = requests.select_related("order").filter(pk=request_id).first()
    if request is None:
        raise NotFound("No such request.")
    return request
