// Where Amend answers: the origin of SITE_URL. Set it to your Amend host before `shopify app deploy`;
// the extensions call <AMEND_URL>/api/v1/shopify/extension/... with the customer's session token.
export const AMEND_URL = "https://amend.example.com";
