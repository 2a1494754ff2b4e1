// The api over fetch: JSON in and out, problem+json errors as ApiError.
import { parseProblem } from "./problem.js";

const TENANT_FIELDS = ["name", "slug", "plan", "admin_email"];

export class ApiError extends Error {
  constructor(status, body) {
    const problem = parseProblem(status, body, TENANT_FIELDS);
    super(problem.detail || problem.title);
    this.status = status;
    this.problem = problem;
  }
}

export function createApi({ getToken, onUnauthorized }) {
  async function request(method, path, { body, headers = {} } = {}) {
    const token = getToken();
    const init = {
      method,
      headers: {
        Accept: "application/json, application/problem+json",
        ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    };
    let response;
    try {
      response = await fetch(path, init);
    } catch {
      throw new ApiError(0, { title: "The api is unreachable", detail: "Check that the platform is running." });
    }
    const text = await response.text();
    let data = text;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      // not JSON (a proxy's error page): keep the text for the message
    }
    if (!response.ok) {
      const error = new ApiError(response.status, data);
      if (response.status === 401 && token) onUnauthorized(error);
      throw error;
    }
    return data;
  }

  const tenant = (id) => `/api/v1/tenants/${encodeURIComponent(id)}`;
  return {
    listTenants: (params) => request("GET", `/api/v1/tenants?${new URLSearchParams(params)}`),
    getTenant: (id) => request("GET", tenant(id)),
    tenantEvents: (id) => request("GET", `${tenant(id)}/events`),
    createTenant: (values, idempotencyKey) =>
      request("POST", "/api/v1/tenants", { body: values, headers: { "Idempotency-Key": idempotencyKey } }),
    updateTenant: (id, changes) => request("PATCH", tenant(id), { body: changes }),
    retryTenant: (id) => request("POST", `${tenant(id)}/retry`),
    cancelTenant: (id) => request("POST", `${tenant(id)}/cancel`),
    opsOverview: () => request("GET", "/api/v1/ops/overview"),
    opsFailures: () => request("GET", "/api/v1/ops/failures"),
    deleteTenant: (id) => request("DELETE", tenant(id)),
    devToken: (sub, roles) => request("POST", "/api/v1/dev/token", { body: { sub, roles } }),
  };
}

// Every page of the list. as_of is the smallest of the pages' positions, so that the socket
// (after=as_of) replays whatever changed while later pages were read: nothing is missed and
// rows ignore what they already include.
export async function loadAllTenants(api, pageSize = 100) {
  const items = [];
  let cursor = null;
  let asOf = null;
  do {
    const page = await api.listTenants(cursor ? { limit: pageSize, cursor } : { limit: pageSize });
    items.push(...page.items);
    if (typeof page.as_of === "number") asOf = asOf === null ? page.as_of : Math.min(asOf, page.as_of);
    cursor = page.next_cursor ?? null;
  } while (cursor);
  return { items, asOf };
}

export async function loadConfig() {
  try {
    const response = await fetch("/config.json", { headers: { Accept: "application/json" } });
    if (response.ok) return { notifier_url: null, dev_tokens: false, ...(await response.json()) };
  } catch {
    // fall through: the defaults below still let a pasted token work
  }
  return { notifier_url: null, dev_tokens: false };
}

export function newIdempotencyKey() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  // randomUUID exists only in secure contexts (https or localhost); a plain http host gets this.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
