// customer-account.order-status.block.render: on the order status page, until when the order can be
// cancelled or changed, and the way to Amend's portal. Nothing when nothing can be changed.
import "@shopify/ui-extensions/preact";
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { Api } from "@shopify/ui-extensions/customer-account.order-status.block.render";

import { getOrder, shopifyApi, type OrderAnswer } from "../../../shared/amend";

export default async () => {
  render(<OrderStatusBlock />, document.body);
};

export function OrderStatusBlock() {
  const api = shopifyApi<Api>();
  const orderId = api.order.value?.id ?? "";
  const [answer, setAnswer] = useState<OrderAnswer | null>(null);

  useEffect(() => {
    if (!orderId) return;
    getOrder(api, orderId)
      .then(setAnswer)
      .catch(() => setAnswer(null));
  }, [orderId]);

  if (!answer || !answer.can_change) return null;
  const until = answer.changeable_until
    ? api.i18n.translate("changeableUntil", {
        date: api.i18n.formatDate(new Date(answer.changeable_until), { dateStyle: "medium", timeStyle: "short" }),
      })
    : api.i18n.translate("changeableUntilShipped");
  return (
    <s-section heading={String(api.i18n.translate("blockHeading"))}>
      <s-stack direction="block" gap="base">
        <s-paragraph>{until}</s-paragraph>
        <s-link href={answer.portal_url} target="_blank">
          {api.i18n.translate("openPortal")}
        </s-link>
      </s-stack>
    </s-section>
  );
}
