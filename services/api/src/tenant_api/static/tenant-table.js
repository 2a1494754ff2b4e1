// The tenant table: keyed rows in newest-first order, filtered, with one click handler.
import { isTerminal } from "./tenant-fold.js";
import { buildRow, updateRow } from "./tenant-row.js";

export class TenantTable {
  #rows = new Map();
  #inFlight = new Set();

  constructor({ store, body, empty, count, search, showDeleted, onAction }) {
    Object.assign(this, { store, body, empty, count, search, showDeleted, onAction });
    this.me = null;
    store.subscribe((id) => (id ? this.#refreshOne(id) : this.render()));
    search.addEventListener("input", () => this.render());
    showDeleted.addEventListener("change", () => this.render());
    body.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-action]");
      const row = button?.closest("tr[data-tenant-id]");
      if (button && row && !button.disabled) this.onAction(button.dataset.action, row.dataset.tenantId, button);
    });
    // Countdowns ("retrying in 4 s") and relative times move on without events.
    setInterval(() => this.#tick(), 1000);
  }

  setUser(me) {
    this.me = me;
    this.#rows.clear();
    this.body.replaceChildren();
    this.render();
  }

  setInFlight(id, busy) {
    if (busy) this.#inFlight.add(id);
    else this.#inFlight.delete(id);
    this.#refreshOne(id);
  }

  render() {
    const visible = this.store.all().filter((t) => this.#shown(t)).sort(newestFirst);
    const wanted = new Set(visible.map((t) => t.id));
    for (const [id, row] of this.#rows) {
      if (!wanted.has(id)) row.remove();
    }
    visible.forEach((tenant, index) => {
      const row = this.#rowFor(tenant);
      // Move only rows that are out of place: moving a row would take focus from its buttons.
      if (this.body.children[index] !== row) this.body.insertBefore(row, this.body.children[index] ?? null);
    });
    const total = this.store.all().filter((t) => !isTerminal(t)).length;
    this.count.textContent = total === 1 ? "1 tenant" : `${total} tenants`;
    this.empty.hidden = visible.length > 0;
    this.empty.textContent = total || this.search.value ? "No tenant matches." : "No tenants yet. Create the first one above.";
  }

  #refreshOne(id) {
    const tenant = this.store.get(id);
    const row = this.#rows.get(id);
    if (tenant && row?.isConnected && this.#shown(tenant)) this.#update(row, tenant);
    else this.render();
  }

  #rowFor(tenant) {
    let row = this.#rows.get(tenant.id);
    if (!row) {
      row = buildRow();
      this.#rows.set(tenant.id, row);
    }
    this.#update(row, tenant);
    return row;
  }

  #update(row, tenant) {
    updateRow(row, tenant, { me: this.me, inFlight: this.#inFlight.has(tenant.id) });
  }

  #shown(tenant) {
    if (isTerminal(tenant) && !this.showDeleted.checked) return false;
    const query = this.search.value.trim().toLowerCase();
    return !query || [tenant.name, tenant.slug, tenant.owner, tenant.plan, tenant.status]
      .some((text) => text.toLowerCase().includes(query));
  }

  #tick() {
    for (const [id, row] of this.#rows) {
      const tenant = this.store.get(id);
      if (tenant && row.isConnected) this.#update(row, tenant);
    }
  }
}

function newestFirst(a, b) {
  return Date.parse(b.created_at) - Date.parse(a.created_at) || a.slug.localeCompare(b.slug);
}
