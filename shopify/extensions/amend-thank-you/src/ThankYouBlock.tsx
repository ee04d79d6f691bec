// purchase.thank-you.block.render: right after checkout, until when the new order can be changed.
// Amend learns of the order from Shopify's orders/create webhook, which may arrive a moment after the
// thank-you page: the block asks again a few times before it gives up and shows nothing.
import "@shopify/ui-extensions/preact";
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { Api } from "@shopify/ui-extensions/purchase.thank-you.block.render";

import { AmendError, getThankYou, shopifyApi, type ThankYouAnswer } from "../../../shared/amend";

export const RETRY_DELAYS_MS = [1500, 3000, 6000];

export default async () => {
  render(<ThankYouBlock />, document.body);
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function askAmend(api: Api, orderGid: string, delays = RETRY_DELAYS_MS): Promise<ThankYouAnswer | null> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await getThankYou(api, orderGid);
    } catch (error) {
      // 404: not synced yet (or not this customer's): ask again. Anything else: show nothing.
      const notYet = error instanceof AmendError && error.status === 404;
      if (!notYet || attempt >= delays.length) return null;
      await sleep(delays[attempt]);
    }
  }
}

export function ThankYouBlock() {
  const api = shopifyApi<Api>();
  const orderId = api.orderConfirmation.value?.order?.id ?? "";
  const [answer, setAnswer] = useState<ThankYouAnswer | null>(null);

  useEffect(() => {
    if (orderId) askAmend(api, orderId).then(setAnswer);
  }, [orderId]);

  if (!answer || !answer.can_change) return null;
  const text = answer.changeable_until
    ? api.i18n.translate("changeableUntil", {
        date: api.i18n.formatDate(new Date(answer.changeable_until), { dateStyle: "medium", timeStyle: "short" }),
      })
    : api.i18n.translate("changeableUntilShipped");
  return (
    <s-banner heading={String(api.i18n.translate("heading"))} tone="info">
      <s-stack direction="block" gap="small-200">
        <s-paragraph>{text}</s-paragraph>
        <s-link href={answer.portal_url} target="_blank">
          {api.i18n.translate("openPortal")}
        </s-link>
      </s-stack>
    </s-banner>
  );
}
