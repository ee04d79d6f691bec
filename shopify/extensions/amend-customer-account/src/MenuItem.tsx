// customer-account.order.action.menu-item.render: "Cancel or change order" on the order index and
// order status pages, only when Amend's policy allows something (other than ordering again) now.
// The button opens the modal (OrderAction.tsx) when a cancel is on offer; for the other changes it
// links to the order in Amend's portal.
import "@shopify/ui-extensions/preact";
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { Api } from "@shopify/ui-extensions/customer-account.order.action.menu-item.render";

import { getOrder, shopifyApi, type OrderAnswer } from "../../../shared/amend";

export default async () => {
  render(<MenuItem />, document.body);
};

export function MenuItem() {
  const api = shopifyApi<Api>();
  const [answer, setAnswer] = useState<OrderAnswer | null>(null);

  useEffect(() => {
    getOrder(api, api.orderId)
      .then(setAnswer)
      .catch(() => setAnswer(null)); // no answer, no button: never offer what Amend has not allowed
  }, [api.orderId]);

  if (!answer || !answer.can_change) return null;
  const label = api.i18n.translate("menuItem");
  if (answer.cancel.available) return <s-button>{label}</s-button>;
  return (
    <s-button href={answer.portal_url} target="_blank">
      {label}
    </s-button>
  );
}
