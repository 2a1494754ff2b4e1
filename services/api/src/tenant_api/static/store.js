// The tenants this page knows, kept current by snapshots (the list, a 202 body) and
// socket events. A row only ever moves forward: version is the stream seq of its last event.
import { applyEvent } from "./tenant-fold.js";

export class TenantStore {
  #rows = new Map();
  #listeners = new Set();

  subscribe(listener) {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get(id) {
    return this.#rows.get(id);
  }

  all() {
    return [...this.#rows.values()];
  }

  reset(tenants = []) {
    this.#rows = new Map(tenants.map((t) => [t.id, t]));
    this.#emit(null);
  }

  // A snapshot replaces the row only if it is newer than what the page already shows.
  upsert(tenant) {
    const current = this.#rows.get(tenant.id);
    if (current && current.version >= tenant.version) return false;
    this.#rows.set(tenant.id, tenant);
    this.#emit(tenant.id);
    return true;
  }

  // Returns {previous, tenant} when applied; null for a replay the row already includes,
  // or {missing: true} when the row is unknown and the event cannot start one.
  applyFrame(seq, event) {
    const current = this.#rows.get(event.tenant_id);
    if (current && seq <= current.version) return null;
    const folded = applyEvent(current ?? null, event, seq);
    if (!folded) return { missing: true };
    // A request not taken up yet keeps the tenant busy: the fold's pending_request.
    const next = folded;
    this.#rows.set(next.id, next);
    this.#emit(next.id);
    return { previous: current ?? null, tenant: next };
  }

  #emit(id) {
    for (const listener of this.#listeners) listener(id);
  }
}
