"""The URLconf of requests Shopify's app proxy forwards: the customer portal under /shopify/proxy/.

AppProxyMiddleware routes a request here only once its signature and timestamp hold. The names are the
portal's own (`customer:order`, ...), so templates and views link the same way; `store_url` turns
them into the storefront's public paths (/apps/<subpath>/...).
"""

from django.urls import include, path
from django.views import View

from portal.customer import views
from portal.customer.proxy import ProxyHomeView, ProxyMixin, ProxyOrderListView, ProxyOrderMixin
from portal.customer.urls import ORDER_PAGES


def _proxied(view: type[View], mixin: type[ProxyMixin] = ProxyMixin) -> type[View]:
    """The portal's view answering through the proxy: the mixin first, so it decides who is who."""
    return type(f"Proxy{view.__name__}", (mixin, view), {"__doc__": view.__doc__})


patterns = [
    path("", ProxyHomeView.as_view(), name="home"),
    path("orders/", ProxyOrderListView.as_view(), name="orders"),
    path("find-order/", _proxied(views.FindOrderView).as_view(), name="find_order"),
    path("withdraw/", _proxied(views.WithdrawalLookupView).as_view(), name="withdraw"),
    *[
        path(
            f"orders/<int:order_id>/{route}", _proxied(view, ProxyOrderMixin).as_view(), name=f"order{suffix}"
        )
        for route, view, suffix in ORDER_PAGES
    ],
    *[
        path(f"o/<str:token>/{route}", _proxied(view, ProxyOrderMixin).as_view(), name=f"order_link{suffix}")
        for route, view, suffix in ORDER_PAGES
    ],
]

urlpatterns = [path("shopify/proxy/", include((patterns, "customer")))]

handler404 = "portal.customer.proxy.not_found"
