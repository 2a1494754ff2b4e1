// The operations view (admins): figures from /api/v1/ops/*, refreshed every few seconds and
// soon after each event, and a live tail of every tenant's events from the socket.
import { absoluteTime, relativeTime, secondsUntil, stageLabel } from "./format.js";
import { describe, EVENT_TYPES, eventLabel } from "./history.js";
import { ICONS, statusBadge } from "./icons.js";
import { STATUSES } from "./tenant-fold.js";

const REFRESH_MS = 3000;
const SOON_MS = 400; // after an event: the read model has usually caught up by then
const TAIL_MAX = 300;
const clock = new Intl.DateTimeFormat(undefined, { timeStyle: "medium" });

const TEMPLATE = `
  <div class="ops-head">
    <div><h1>Operations</h1><p class="hint">The provisioner's queue, live. <span class="ops-asof"></span></p></div>
    <p class="ops-error notice" role="alert" hidden></p>
  </div>
  <ul class="ops-counts" aria-label="Tenants by status"></ul>
  <div class="ops-grid">
    <section class="card ops-card" aria-labelledby="ops-provisioner-title">
      <div class="card-head"><h2 id="ops-provisioner-title">Provisioner</h2>
        <p class="hint">Replicas by heartbeat; queue from JetStream's consumer info.</p></div>
      <dl class="ops-consumer"></dl>
      <ul class="ops-replicas"></ul>
    </section>
    <section class="card ops-card" aria-labelledby="ops-stages-title">
      <div class="card-head"><h2 id="ops-stages-title">Stage durations</h2><p class="hint ops-stage-window"></p></div>
      <table class="ops-table ops-stages"><thead><tr><th scope="col">Stage</th><th scope="col">Count</th><th scope="col">p50</th><th scope="col">p95</th></tr></thead><tbody></tbody></table>
    </section>
  </div>
  <section class="card ops-card" aria-labelledby="ops-backlog-title">
    <div class="card-head"><h2 id="ops-backlog-title">Backlog</h2></div>
    <h3 class="ops-sub">In progress <span class="ops-n" data-list="in_progress"></span></h3>
    <table class="ops-table ops-in-progress"><thead><tr><th scope="col">Tenant</th><th scope="col">Status</th><th scope="col">Stage</th><th scope="col">Attempt</th><th scope="col">For</th><th scope="col"></th></tr></thead><tbody></tbody></table>
    <h3 class="ops-sub">Retrying <span class="ops-n" data-list="retrying"></span></h3>
    <table class="ops-table ops-retrying"><thead><tr><th scope="col">Tenant</th><th scope="col">Attempt</th><th scope="col">Last error</th><th scope="col">Next retry</th><th scope="col"></th></tr></thead><tbody></tbody></table>
    <h3 class="ops-sub">Waiting <span class="ops-n" data-list="waiting"></span></h3>
    <table class="ops-table ops-waiting"><thead><tr><th scope="col">Tenant</th><th scope="col">Request</th><th scope="col">Since</th><th scope="col"></th></tr></thead><tbody></tbody></table>
  </section>
  <section class="card ops-card" aria-labelledby="ops-failures-title">
    <div class="card-head"><h2 id="ops-failures-title">Failures, last 24 hours</h2></div>
    <table class="ops-table ops-failures"><thead><tr><th scope="col">Tenant</th><th scope="col">Owner</th><th scope="col">Error</th><th scope="col">Attempts</th><th scope="col">Failed</th><th scope="col"></th></tr></thead><tbody></tbody></table>
  </section>
  <section class="card ops-card" aria-labelledby="ops-tail-title">
    <div class="card-head ops-tail-head">
      <div><h2 id="ops-tail-title">Live events</h2><p class="hint">Every tenant's events as they are stored, newest first.</p></div>
      <div class="toolbar">
        <label class="visually-hidden" for="ops-tail-type">Event type</label>
        <select id="ops-tail-type"><option value="">All types</option></select>
        <label class="visually-hidden" for="ops-tail-tenant">Tenant</label>
        <input id="ops-tail-tenant" type="search" placeholder="Tenant: slug, name or id">
      </div>
    </div>
    <ol class="ops-tail"></ol>
  </section>`;

export class OpsView {
  constructor({ root, api, store, openHistory, onRetry }) {
    Object.assign(this, { root, api, store, openHistory, onRetry });
    this.active = false;
    this.tail = [];
    this.lastSeq = 0;
    this.timer = null;
    this.soon = null;
    this.loading = null;
    root.innerHTML = TEMPLATE;
    const type = root.querySelector("#ops-tail-type");
    for (const name of EVENT_TYPES) type.append(new Option(eventLabel(name), name));
    type.addEventListener("change", () => this.#renderTail());
    root.querySelector("#ops-tail-tenant").addEventListener("input", () => this.#renderTail());
    root.addEventListener("click", (event) => this.#onClick(event));
  }

  show() {
    this.root.hidden = false;
    if (this.active) return;
    this.active = true;
    this.refresh();
    this.timer = setInterval(() => this.refresh(), REFRESH_MS);
    this.#renderTail();
  }

  hide() {
    this.root.hidden = true;
    this.active = false;
    clearInterval(this.timer);
    clearTimeout(this.soon);
  }

  // Every socket event (an admin's socket carries every tenant's).
  offer(seq, event) {
    if (seq <= this.lastSeq) return;
    this.lastSeq = seq;
    this.tail.unshift({ seq, event });
    if (this.tail.length > TAIL_MAX) this.tail.length = TAIL_MAX;
    if (!this.active) return;
    this.#renderTail();
    if (!this.soon) this.soon = setTimeout(() => { this.soon = null; this.refresh(); }, SOON_MS);
  }

  async refresh() {
    if (this.loading) return this.loading;
    this.loading = (async () => {
      try {
        const [overview, failures] = await Promise.all([this.api.opsOverview(), this.api.opsFailures()]);
        if (!this.active) return;
        this.#render(overview, failures);
        this.root.querySelector(".ops-error").hidden = true;
      } catch (error) {
        const notice = this.root.querySelector(".ops-error");
        notice.textContent = `Could not load the figures: ${error.message}`;
        notice.hidden = false;
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }

  #render(overview, failures) {
    const $ = (selector) => this.root.querySelector(selector);
    $(".ops-asof").textContent = `As of stream seq ${overview.as_of}, ${absoluteTime(overview.generated_at)}.`;
    $(".ops-counts").replaceChildren(...STATUSES.map((status) => {
      const tile = el("li", "ops-count");
      tile.dataset.status = status;
      const n = el("strong", "ops-count-n", String(overview.counts[status] ?? 0));
      tile.append(n, statusBadge(status));
      return tile;
    }));
    const { backlog } = overview;
    this.#renderConsumer(backlog.consumer);
    $(".ops-replicas").replaceChildren(...(backlog.replicas.length ? backlog.replicas.map((r) => {
      const item = el("li", "ops-replica");
      item.dataset.replica = r.id;
      item.append(el("span", "ops-dot"), el("code", "", r.id),
                  el("span", "hint", ` · ${r.in_flight} in flight · up ${relativeTime(r.started_at).replace(/ ago$/, "")} · seen ${relativeTime(r.last_seen)}`));
      return item;
    }) : [el("li", "hint", "No provisioner replica is alive: requests wait.")]));
    $(".ops-stage-window").textContent = overview.stage_durations.window;
    $(".ops-stages tbody").replaceChildren(...overview.stage_durations.stages.map((s) =>
      row([stageLabel(s.stage), String(s.count), seconds(s.p50_seconds), seconds(s.p95_seconds)], { stage: s.stage })));

    const now = Date.now();
    fill(this.root, "in_progress", ".ops-in-progress", backlog.in_progress, (t) => row(
      [this.#tenantCell(t.tenant_id, t.slug), statusBadge(t.status), stageLabel(t.stage) || "—",
       String(t.attempt), since(t.since, now),
       t.cancel_requested ? el("span", "hint", "cancel requested") : ""], { tenantId: t.tenant_id }));
    fill(this.root, "retrying", ".ops-retrying", backlog.retrying, (t) => row(
      [this.#tenantCell(t.tenant_id, t.slug), String(t.attempt), t.last_error ?? "",
       timeCell(t.next_retry_at, `in ${secondsUntil(t.next_retry_at, now)} s`),
       t.cancel_requested ? el("span", "hint", "cancel requested") : ""], { tenantId: t.tenant_id }));
    fill(this.root, "waiting", ".ops-waiting", backlog.waiting, (t) => row(
      [this.#tenantCell(t.tenant_id, t.slug), eventLabel(t.request), since(t.since, now), ""],
      { tenantId: t.tenant_id }));
    $(".ops-failures tbody").replaceChildren(...(failures.items.length ? failures.items.map((f) => {
      const retry = el("button", "btn btn-small btn-primary");
      retry.type = "button";
      retry.dataset.action = "retry";
      retry.dataset.tenantId = f.tenant_id;
      retry.innerHTML = `${ICONS.retry}<span>Retry</span>`;
      retry.setAttribute("aria-label", `Retry ${f.slug}`);
      return row([this.#tenantCell(f.tenant_id, f.slug), f.owner, f.error ?? "", String(f.attempts),
                  timeCell(f.failed_at, relativeTime(f.failed_at)), retry], { tenantId: f.tenant_id });
    }) : [emptyRow(6, "No failures in the last 24 hours.")]));
  }

  #renderConsumer(consumer) {
    const list = this.root.querySelector(".ops-consumer");
    if (consumer.problem) {
      list.replaceChildren(el("dt", "", "Consumer"), el("dd", "hint", consumer.problem));
      return;
    }
    list.replaceChildren(...[["Pending", consumer.pending, "pending"], ["In flight (ack pending)", consumer.ack_pending, "ack_pending"],
                             ["Redelivered", consumer.redelivered, "redelivered"], ["Idle fetches", consumer.waiting_pulls, "waiting_pulls"]]
      .flatMap(([label, value, key]) => {
        const dd = el("dd", "", String(value));
        dd.dataset.figure = key;
        return [el("dt", "", label), dd];
      }));
  }

  #renderTail() {
    if (!this.active) return;
    const type = this.root.querySelector("#ops-tail-type").value;
    const query = this.root.querySelector("#ops-tail-tenant").value.trim().toLowerCase();
    const shown = this.tail.filter(({ event }) => (!type || event.type === type) && (!query || this.#matches(event.tenant_id, query)));
    this.root.querySelector(".ops-tail").replaceChildren(...shown.slice(0, 100).map(({ seq, event }) => {
      const item = el("li", "ops-tail-item");
      Object.assign(item.dataset, { seq: String(seq), type: event.type, tenantId: event.tenant_id });
      const when = el("time", "hint", clock.format(Date.parse(event.occurred_at)));
      when.dateTime = event.occurred_at;
      when.title = absoluteTime(event.occurred_at);
      item.append(when, el("strong", "", eventLabel(event.type)),
                  this.#tenantCell(event.tenant_id, this.store.get(event.tenant_id)?.slug),
                  el("span", "hint ops-tail-detail", describe(event)));
      return item;
    }));
  }

  #matches(id, query) {
    const tenant = this.store.get(id);
    return id.startsWith(query) || [tenant?.slug, tenant?.name].some((t) => t?.toLowerCase().includes(query));
  }

  // A tenant's name links to its history (the drawer of the tenants page).
  #tenantCell(id, slug) {
    const link = el("button", "link-button ops-tenant", slug ?? id.slice(0, 8));
    link.type = "button";
    link.dataset.action = "history";
    link.dataset.tenantId = id;
    link.title = `History of ${slug ?? id}`;
    return link;
  }

  async #onClick(event) {
    const button = event.target.closest("button[data-action]");
    if (!button || button.disabled) return;
    const id = button.dataset.tenantId;
    if (button.dataset.action === "history") {
      const tenant = this.store.get(id) ?? (await this.api.getTenant(id));
      this.openHistory(tenant);
    } else if (button.dataset.action === "retry") {
      button.disabled = true;
      button.querySelector("span").textContent = "Retrying…";
      await this.onRetry(id);
      await this.refresh();
    }
  }
}

function el(tag, className, text) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text !== undefined) element.textContent = text;
  return element;
}

function row(cells, data = {}) {
  const tr = el("tr");
  Object.assign(tr.dataset, data);
  for (const cell of cells) {
    const td = el("td");
    if (cell instanceof Node) td.append(cell);
    else td.textContent = cell;
    tr.append(td);
  }
  return tr;
}

function emptyRow(span, text) {
  const tr = el("tr", "ops-empty");
  const td = el("td", "hint", text);
  td.colSpan = span;
  tr.append(td);
  return tr;
}

function fill(root, key, selector, items, toRow) {
  root.querySelector(`.ops-n[data-list="${key}"]`).textContent = `(${items.length})`;
  const span = root.querySelectorAll(`${selector} thead th`).length;
  root.querySelector(`${selector} tbody`).replaceChildren(...(items.length ? items.map(toRow) : [emptyRow(span, "None.")]));
}

function since(iso, now) {
  const secondsAgo = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  const text = secondsAgo < 120 ? `${secondsAgo} s` : `${Math.round(secondsAgo / 60)} min`;
  return timeCell(iso, text);
}

function timeCell(iso, text) {
  const time = el("time", "", text);
  time.dateTime = iso;
  time.title = absoluteTime(iso);
  return time;
}

function seconds(value) {
  return value == null ? "—" : `${value.toFixed(value < 10 ? 2 : 1)} s`;
}
