// The history drawer: a tenant's events from the stream, extended live while it is open by a
// socket of its own that follows just that tenant (`tenant=<id>`), resuming after the last
// seq the loaded history holds: nothing between the two is lost or shown twice.
import { absoluteTime, stageLabel } from "./format.js";
import { vocabulary } from "./vocabulary.js";

const LABELS = {
  TenantRequested: "Requested",
  TenantProvisioning: "Provisioning started",
  TenantProgress: "Progress",
  TenantAttemptFailed: "Attempt failed",
  TenantActive: "Active",
  TenantFailed: "Failed",
  TenantUpdateRequested: "Update requested",
  TenantUpdating: "Updating",
  TenantUpdated: "Updated",
  TenantRetryRequested: "Retry requested",
  TenantDeletionRequested: "Deletion requested",
  TenantDeleting: "Deleting",
  TenantDeleted: "Deleted",
  TenantCancelRequested: "Cancel requested",
  TenantCancelled: "Cancelled",
};
const TONES = { TenantActive: "success", TenantUpdated: "success", TenantFailed: "danger",
                TenantAttemptFailed: "warning", TenantCancelled: "warning" };

export const EVENT_TYPES = vocabulary.event_types;

export function eventLabel(type) {
  return LABELS[type] ?? type;
}

export function describe(event) {
  const changes = (c) => Object.entries(c ?? {}).filter(([, v]) => v != null).map(([k, v]) => `${k} → ${v}`).join(", ");
  switch (event.type) {
    case "TenantRequested": return `${event.name} (${event.slug}), plan ${event.plan}, admin ${event.admin_email}`;
    case "TenantProvisioning": return `attempt ${event.attempt}`;
    case "TenantProgress": return `${stageLabel(event.stage)} · ${event.percent}%${event.message ? ` — ${event.message}` : ""}`;
    case "TenantAttemptFailed":
      return `attempt ${event.attempt}: ${event.error}${event.retry_at ? `; next try ${absoluteTime(event.retry_at)}` : ""}`;
    case "TenantActive": return `database ${event.database}`;
    case "TenantFailed": return `after ${event.attempts} attempts: ${event.error}`;
    case "TenantCancelRequested": return `by ${event.actor}`;
    case "TenantCancelled": return "stopped; its database and role are dropped";
    case "TenantUpdateRequested":
    case "TenantUpdated": return changes(event.changes);
    default: return "";
  }
}

export class HistoryDrawer {
  // follow(tenantId, after, onEvent) opens a live connection and returns it (stop() ends it).
  constructor({ dialog, api, follow }) {
    this.dialog = dialog;
    this.api = api;
    this.follow = follow;
    this.live = null;
    this.list = dialog.querySelector(".history-list");
    this.status = dialog.querySelector(".history-status");
    this.tenantId = null;
    this.lastSeq = 0;
    dialog.querySelector("[data-close]").addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => {
      this.tenantId = null;
      this.unfollow();
    });
    // A click on the backdrop (outside the panel) closes it, as users expect of a drawer.
    dialog.addEventListener("click", (event) => {
      if (event.target === dialog) dialog.close();
    });
  }

  async open(tenant) {
    const load = Symbol("load");
    this.load = load;
    this.tenantId = tenant.id;
    this.lastSeq = 0;
    this.unfollow();
    this.dialog.querySelector(".drawer-title-name").textContent = tenant.name;
    this.dialog.querySelector(".drawer-subtitle").textContent = `${tenant.slug} · ${tenant.id}`;
    this.list.replaceChildren();
    this.status.textContent = "Loading history…";
    this.status.hidden = false;
    this.dialog.showModal();
    try {
      const { items } = await this.api.tenantEvents(tenant.id);
      if (this.load !== load) return; // another tenant's history was opened meanwhile
      this.status.hidden = true;
      for (const { seq, event } of items) this.append(seq, event);
      if (this.dialog.open) {
        this.live = this.follow(tenant.id, this.lastSeq, (seq, event) => {
          if (this.load === load && event.tenant_id === tenant.id) this.append(seq, event);
        });
      }
    } catch (error) {
      if (this.load === load) this.status.textContent = `Could not load the history: ${error.message}`;
    }
  }

  unfollow() {
    this.live?.stop();
    this.live = null;
  }

  append(seq, event) {
    if (seq <= this.lastSeq) return;
    this.lastSeq = seq;
    const item = document.createElement("li");
    item.className = "history-item";
    item.dataset.tone = TONES[event.type] ?? "neutral";
    const head = document.createElement("div");
    head.className = "history-head";
    const label = document.createElement("strong");
    label.textContent = eventLabel(event.type);
    const when = document.createElement("time");
    when.dateTime = event.occurred_at;
    when.textContent = absoluteTime(event.occurred_at);
    head.append(label, when);
    const detail = document.createElement("p");
    detail.className = "history-detail";
    detail.textContent = describe(event);
    const meta = document.createElement("p");
    meta.className = "history-meta";
    meta.textContent = `seq ${seq} · by ${event.actor}`;
    item.append(head, detail, meta);
    this.list.append(item);
  }
}
