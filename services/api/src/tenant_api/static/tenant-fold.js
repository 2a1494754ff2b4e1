// Mirror of tenant_contracts.tenant.apply: a tenant row is the fold of its events.
// Keep the two in step: the browser test replays the same events through both. The
// tables the fold consults (which request applies in which status, which overtakes,
// which events take a pending request up) are contracts' own, served by the api.
import { vocabulary } from "./vocabulary.js";

export const STATUSES = vocabulary.statuses;
const BUSY_STATUSES = new Set(vocabulary.busy_statuses);
const WORKING_STATUSES = new Set(vocabulary.working_statuses);
const TERMINAL_STATUSES = new Set(vocabulary.terminal_statuses);
const REQUESTS = new Set(vocabulary.request_types);
const KEEPS_PENDING = new Set(vocabulary.keeps_pending);

// Whether the tenant's status is one the request applies in (a pending request aside).
export function appliesIn(tenant, type) {
  return (vocabulary.accepts_in[type] ?? []).includes(tenant.status);
}

export function accepts(tenant, type) {
  if (!appliesIn(tenant, type)) return false;
  return !tenant.pending_request || (vocabulary.overtakes[type] ?? []).includes(tenant.pending_request);
}

// tenant_contracts.tenant._takes_up: some pending requests are taken up only by the events
// named (a cancel: the end of the provisioning); the others by any event of the
// provisioner's that does not just report on work under way.
function takesUp(pending, type) {
  const only = vocabulary.taken_up_only_by[pending];
  if (only) return only.includes(type);
  return !KEEPS_PENDING.has(type);
}

// The provisioner is at work on the tenant (a progress bar shows).
export function isWorking(tenant) {
  return WORKING_STATUSES.has(tenant.status);
}

// No request applies any more (Deleted).
export function isTerminal(tenant) {
  return TERMINAL_STATUSES.has(tenant.status);
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
