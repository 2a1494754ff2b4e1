// Mirror of tenant_contracts.tenant.apply: a tenant row is the fold of its events.
// Keep the two in step: the browser test replays the same events through both.

export const STATUSES = ["Pending", "Provisioning", "Active", "Failed", "Updating", "Deleting", "Deleted",
                                "Cancelled"];
export const BUSY_STATUSES = new Set(["Pending", "Provisioning", "Updating", "Deleting"]);

// Which request a tenant takes in which status (tenant_contracts.tenant.ACCEPTS_IN).
const ACCEPTS_IN = {
  TenantUpdateRequested: ["Active"],
  TenantRetryRequested: ["Failed", "Cancelled"],
  TenantDeletionRequested: ["Active", "Failed", "Cancelled"],
  TenantCancelRequested: ["Pending", "Provisioning"],
};
// The pending requests a request may overtake (tenant_contracts.tenant.OVERTAKES).
const OVERTAKES = {
  TenantCancelRequested: ["TenantRequested", "TenantRetryRequested"],
};
const REQUESTS = new Set(["TenantRequested", ...Object.keys(ACCEPTS_IN)]);
const KEEP_PENDING = new Set(["TenantProgress", "TenantAttemptFailed"]);

export function accepts(tenant, type) {
  if (!(ACCEPTS_IN[type] ?? []).includes(tenant.status)) return false;
  return !tenant.pending_request || (OVERTAKES[type] ?? []).includes(tenant.pending_request);
}

// tenant_contracts.tenant._takes_up: a pending cancel is answered only by the end of the
// provisioning (Cancelled, or Active/Failed first); other requests by any event of the
// provisioner's but progress and a failed attempt.
function takesUp(pending, type) {
  if (pending === "TenantCancelRequested") {
    return ["TenantCancelled", "TenantActive", "TenantFailed"].includes(type);
  }
  return !KEEP_PENDING.has(type);
}

// Busy: a busy status, or a request not taken up yet (the fold's pending_request).
export function isBusy(tenant) {
  return BUSY_STATUSES.has(tenant.status) || Boolean(tenant.pending_request);
}

// Returns the new tenant, or null when a history starts mid-way (no TenantRequested seen):
// the caller then fetches the row from the api instead of inventing one.
export function applyEvent(tenant, event, seq) {
  if (!tenant) {
    if (event.type !== "TenantRequested") return null;
    return {
      id: event.tenant_id,
      name: event.name,
      slug: event.slug,
      plan: event.plan,
      admin_email: event.admin_email,
      owner: event.owner,
      status: "Pending",
      stage: null,
      progress: 0,
      error: null,
      attempt: 0,
      retry_at: null,
      database: null,
      pending_request: "TenantRequested",
      version: seq,
      created_at: event.occurred_at,
      updated_at: event.occurred_at,
    };
  }
  if (REQUESTS.has(event.type)) {
    // A request the tenant does not take now is ignored, as the provisioner ignores it.
    if (!accepts(tenant, event.type)) return { ...tenant, version: seq };
    return { ...tenant, ...changesOf(event), pending_request: event.type, version: seq,
             updated_at: event.occurred_at };
  }
  const pending = takesUp(tenant.pending_request, event.type) ? { pending_request: null } : {};
  return { ...tenant, ...changesOf(event), ...pending, version: seq, updated_at: event.occurred_at };
}

function changesOf(event) {
  switch (event.type) {
    case "TenantProvisioning":
      return { status: "Provisioning", attempt: event.attempt, stage: null, progress: 0, retry_at: null };
    case "TenantProgress":
      return { stage: event.stage, progress: event.percent };
    case "TenantAttemptFailed":
      return { attempt: event.attempt, error: event.error, retry_at: event.retry_at ?? null };
    case "TenantActive":
      return { status: "Active", stage: null, progress: 100, error: null, retry_at: null,
               database: event.database };
    case "TenantFailed":
      return { status: "Failed", stage: null, error: event.error, attempt: event.attempts, retry_at: null };
    case "TenantUpdating":
      return { status: "Updating", stage: null, progress: 0 };
    case "TenantUpdated":
      return { status: "Active", stage: null, progress: 100, error: null, retry_at: null,
               ...presentChanges(event.changes) };
    case "TenantRetryRequested":
      return { status: "Pending", attempt: 0, stage: null, progress: 0, retry_at: null };
    case "TenantDeleting":
      return { status: "Deleting", stage: null, progress: 0 };
    case "TenantDeleted":
      return { status: "Deleted", stage: null, progress: 100, error: null, retry_at: null };
    case "TenantCancelled":
      return { status: "Cancelled", stage: null, progress: 0, retry_at: null };
    default:
      // TenantUpdateRequested, TenantDeletionRequested, TenantCancelRequested and later types: status unchanged.
      return {};
  }
}

function presentChanges(changes) {
  const out = {};
  for (const key of ["name", "plan"]) {
    if (changes && changes[key] != null) out[key] = changes[key];
  }
  return out;
}
