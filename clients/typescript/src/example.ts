// Ten lines: create a customer and read the 360° view with the generated types.
import type { components, paths } from "./schema";

type Draft = components["schemas"]["CustomerDraft"];
type View = paths["/v1/customers/{id}/360"]["get"]["responses"]["200"]["content"]["application/json"];

export async function onboard(base: string, token: string, draft: Draft): Promise<View> {
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json", "idempotency-key": crypto.randomUUID() };
  const created: components["schemas"]["Customer"] = await (await fetch(`${base}/v1/customers`, { method: "POST", headers, body: JSON.stringify(draft) })).json();
  return (await fetch(`${base}/v1/customers/${created.id}/360`, { headers })).json();
}
