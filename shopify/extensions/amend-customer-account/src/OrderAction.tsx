// customer-account.order.action.render: the modal of the simple path. The customer picks a reason,
// sees the refund summary, and confirms; Amend decides by the store's policy. Everything else
// (address, items, withdrawal) is one link away, in Amend's portal.
import "@shopify/ui-extensions/preact";
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { Api } from "@shopify/ui-extensions/customer-account.order.action.render";

import {
  AmendError,
  cancelOrder,
  getOrder,
  shopifyApi,
  type CancelAnswer,
  type OrderAnswer,
  type Refund,
  valueOf,
} from "../../../shared/amend";

export default async () => {
  render(<OrderAction />, document.body);
};

function newKey(): string {
  return globalThis.crypto.randomUUID();
}

export function OrderAction() {
  const api = shopifyApi<Api>();
  const t = (key: string, options?: Record<string, string>) => String(api.i18n.translate(key, options));
  const [answer, setAnswer] = useState<OrderAnswer | null>(null);
  const [failed, setFailed] = useState("");
  const [reason, setReason] = useState("");
  const [text, setText] = useState("");
  const [refund, setRefund] = useState<Refund | null>(null);
  const [sending, setSending] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [done, setDone] = useState<CancelAnswer | null>(null);
  // One key per opening of the modal: a second click or a retry makes the one request.
  const [key] = useState(newKey);

  useEffect(() => {
    getOrder(api, api.orderId)
      .then((found) => {
        setAnswer(found);
        setRefund(found.cancel.refund);
      })
      .catch(() => setFailed(t("loadFailed")));
  }, [api.orderId]);

  function pickReason(code: string) {
    setReason(code);
    setErrors({});
    // A fee may depend on the reason: ask Amend for the refund that reason gives.
    getOrder(api, api.orderId, code)
      .then((found) => setRefund(found.cancel.refund))
      .catch(() => undefined);
  }

  async function confirm() {
    if (!answer || sending) return;
    setSending(true);
    setErrors({});
    try {
      setDone(await cancelOrder(api, api.orderId, { reason_code: reason, reason_text: text }, key));
    } catch (error) {
      if (error instanceof AmendError && error.attr) setErrors({ [error.attr]: error.message });
      else setErrors({ form: error instanceof AmendError && error.status ? error.message : t("sendFailed") });
    } finally {
      setSending(false);
    }
  }

  const heading = answer ? t("modalHeading", { name: answer.order.name }) : t("modalHeadingLoading");
  if (failed) {
    return (
      <s-customer-account-action heading={heading}>
        <s-banner tone="critical">{failed}</s-banner>
        <s-button slot="secondary-actions" onClick={() => api.close()}>
          {t("close")}
        </s-button>
      </s-customer-account-action>
    );
  }
  if (!answer) {
    return (
      <s-customer-account-action heading={heading}>
        <s-spinner accessibilityLabel={t("loading")} />
      </s-customer-account-action>
    );
  }
  const cancel = answer.cancel;
  const money = (amount: string) => api.i18n.formatCurrency(Number(amount), { currency: answer.order.currency });
  const portalLink = (
    <s-link href={answer.portal_url} target="_blank">
      {t("otherChanges")}
    </s-link>
  );

  if (done) {
    return (
      <s-customer-account-action heading={heading}>
        <s-banner tone={done.request.outcome === "not_allowed" ? "warning" : "success"}>{done.request.message}</s-banner>
        <s-button slot="primary-action" onClick={() => api.close()}>
          {t("close")}
        </s-button>
      </s-customer-account-action>
    );
  }

  if (!cancel.available || answer.open_requests.length) {
    const why = answer.open_requests.length ? [t("alreadyRequested")] : cancel.reasons;
    return (
      <s-customer-account-action heading={heading}>
        <s-stack direction="block" gap="base">
          <s-banner tone="warning">
            {why.map((line) => (
              <s-paragraph>{line}</s-paragraph>
            ))}
          </s-banner>
          {portalLink}
        </s-stack>
        <s-button slot="secondary-actions" onClick={() => api.close()}>
          {t("close")}
        </s-button>
      </s-customer-account-action>
    );
  }

  const until = cancel.until
    ? t("cancelUntil", { date: api.i18n.formatDate(new Date(cancel.until), { dateStyle: "medium", timeStyle: "short" }) })
    : t("cancelUntilShipped");
  return (
    <s-customer-account-action heading={heading}>
      <s-stack direction="block" gap="base">
        <s-paragraph>{until}</s-paragraph>
        {cancel.needs_approval ? <s-paragraph>{t("needsApproval")}</s-paragraph> : null}
        <s-select
          label={t("reason")}
          value={reason}
          required={cancel.reason_required}
          error={errors.reason}
          onChange={(event) => pickReason(valueOf(event))}
        >
          <s-option value="">{t("chooseReason")}</s-option>
          {cancel.reason_choices.map((choice) => (
            <s-option value={choice.code}>{choice.label}</s-option>
          ))}
        </s-select>
        {cancel.free_text ? (
          <s-text-area
            label={t("reasonText")}
            value={text}
            error={errors.reason_text}
            onInput={(event) => setText(valueOf(event))}
          />
        ) : null}
        {refund ? (
          <s-section heading={t("refundHeading")}>
            <s-stack direction="block" gap="small-200">
              <s-text>{t("refundable", { amount: money(refund.refundable) })}</s-text>
              {Number(refund.fee) > 0 ? <s-text>{t("fee", { amount: money(refund.fee) })}</s-text> : null}
              {Number(refund.store_credit_bonus) > 0 ? (
                <s-text>{t("bonus", { amount: money(refund.store_credit_bonus) })}</s-text>
              ) : null}
              <s-text type="strong">
                {t(refund.method === "store_credit" ? "totalCredit" : "totalOriginal", { amount: money(refund.total) })}
              </s-text>
            </s-stack>
          </s-section>
        ) : null}
        {errors.form ? <s-banner tone="critical">{errors.form}</s-banner> : null}
        {portalLink}
      </s-stack>
      <s-button slot="primary-action" tone="critical" loading={sending} onClick={confirm}>
        {t("confirmCancel")}
      </s-button>
      <s-button slot="secondary-actions" onClick={() => api.close()}>
        {t("keepOrder")}
      </s-button>
    </s-customer-account-action>
  );
}
