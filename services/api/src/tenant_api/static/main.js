// Wires the page: sign-in, the list, the socket, the table, the form, dialogs and toasts.
import { createApi, loadAllTenants, loadConfig } from "./api.js";
import { setUpIndicator } from "./connection.js";
import { setUpCreateForm } from "./create-form.js";
import { setUpCancelDialog, setUpDeleteDialog, setUpEditDialog } from "./dialogs.js";
import { describe, HistoryDrawer } from "./history.js";
import { LiveConnection, watchForWake } from "./live.js";
import { OpsView } from "./ops-view.js";
import { claimsOf, forgetToken, isExpired, storedToken, storeToken } from "./session.js";
import { setUpSignIn } from "./signin.js";
import { TenantStore } from "./store.js";
import { TenantTable } from "./tenant-table.js";
import { Toasts } from "./toasts.js";

const $ = (selector) => document.querySelector(selector);
const EXPIRED = "Your session has expired or its token was not accepted. Sign in again to continue.";
// At most this long, in case the socket is down when an action is accepted.
const ACTION_WAIT_MS = 15000;

const config = await loadConfig();
const session = { token: null, me: null, live: null };
const awaiting = new Map(); // tenant id -> version when an action was requested
const timers = new Map();
const missing = new Set();

const store = new TenantStore();
const toasts = new Toasts($("#toasts"));
const api = createApi({ getToken: () => session.token, onUnauthorized: () => signOut(EXPIRED) });
const indicator = setUpIndicator($("#connection"), () => session.live?.reconnectNow());
const table = new TenantTable({
  store, body: $("#tenant-rows"), empty: $("#tenants-empty"), count: $("#tenant-count"),
  search: $("#tenant-search"), showDeleted: $("#show-deleted"), onAction,
});
// An action's buttons stay disabled from the request until the stream shows an event after
// it. The version is taken before the request: its events may beat the 202 to the page.
const tracker = {
  begin(id) {
    clearTimeout(timers.get(id));
    awaiting.set(id, store.get(id)?.version ?? 0);
    timers.set(id, setTimeout(() => settle(id), ACTION_WAIT_MS));
    table.setInFlight(id, true);
  },
  accepted(id) {
    const since = awaiting.get(id);
    if (since !== undefined && (store.get(id)?.version ?? 0) > since) settle(id);
  },
  failed(id) {
    settle(id);
  },
};

const history = new HistoryDrawer({ dialog: $("#history"), api, follow: followTenant });
const ops = new OpsView({ root: $("#ops"), api, store, openHistory: (tenant) => history.open(tenant), onRetry: retry });
const openEdit = setUpEditDialog({ dialog: $("#edit-dialog"), api, store, tracker });
const openDelete = setUpDeleteDialog({ dialog: $("#delete-dialog"), api, tracker });
const openCancel = setUpCancelDialog({ dialog: $("#cancel-dialog"), api, tracker });
setUpCreateForm({ form: $("#create-form"), api, onCreated: (tenant) => store.upsert(tenant) });
const signIn = setUpSignIn({ view: $("#signin"), api, devTokens: config.dev_tokens, onToken: enter });
$("#sign-out").addEventListener("click", () => signOut(""));
window.addEventListener("online", () => session.live?.reconnectNow());
watchForWake(() => session.live?.refresh());

async function enter(token) {
  const me = claimsOf(token);
  Object.assign(session, { token, me });
  storeToken(token);
  signIn.hide();
  showUser(me);
  $("#views").hidden = !isAdmin(me);
  showView();
  table.setUser(me);
  store.reset();
  await loadAndConnect(token);
}

// `head`: the stream's head when the notifier refused the last `after` (close 4416); a
// read model still ahead of it must not send the page round that loop again.
async function loadAndConnect(token, head = null) {
  const failure = $("#load-error");
  failure.hidden = true;
  $("#tenants-loading").hidden = false;
  try {
    const { items, asOf } = await loadAllTenants(api);
    if (session.token !== token) return;
    store.reset(items);
    connect(token, head === null || asOf === null ? asOf : Math.min(asOf, head));
  } catch (error) {
    if (error.status === 401 || session.token !== token) return; // signOut has taken over
    failure.querySelector(".load-error-text").textContent = `Could not load tenants: ${error.message}`;
    failure.hidden = false;
  } finally {
    $("#tenants-loading").hidden = true;
  }
}

// Opened after the list with after=as_of, so that nothing between the two is lost.
function connect(token, after) {
  session.live?.stop();
  session.live = new LiveConnection({
    url: notifierUrl(), token, after, onEvent, onState: indicator, onUnauthorized: () => signOut(EXPIRED),
    tokenExpired: () => isExpired(claimsOf(token)),
    // The list is from another stream than the notifier's: start over from a fresh one.
    onBeyondHead: (head) => loadAndConnect(token, head),
  });
  session.live.start();
}

// The history drawer's own socket: that tenant only, from the seq its history ends at.
function followTenant(tenantId, after, onEvent) {
  const token = session.token;
  const live = new LiveConnection({
    url: notifierUrl(), token, after, onEvent, tenants: [tenantId], onState: () => {},
    onUnauthorized: () => signOut(EXPIRED), tokenExpired: () => isExpired(claimsOf(token)),
  });
  live.start();
  return live;
}

function notifierUrl() {
  return config.notifier_url ?? `ws://${location.hostname}:8001/ws`;
}

function isAdmin(me) {
  return Boolean(me?.roles?.includes("admin"));
}

// #ops: the operations view, for admins (its api answers 404 to everyone else).
function showView() {
  const opsWanted = location.hash === "#ops" && isAdmin(session.me);
  $("#workspace").hidden = opsWanted;
  if (opsWanted) ops.show();
  else ops.hide();
  for (const link of document.querySelectorAll("#views a")) {
    if ((link.dataset.view === "ops") === opsWanted) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}
window.addEventListener("hashchange", () => session.me && showView());

function onEvent(seq, event) {
  ops.offer(seq, event);
  const result = store.applyFrame(seq, event);
  if (!result) return;
  if (result.missing) {
    fetchMissing(event.tenant_id);
    return;
  }
  const since = awaiting.get(result.tenant.id);
  if (since !== undefined && result.tenant.version > since) settle(result.tenant.id);
  announce(result.tenant, event);
}

// An event for a row this page never saw begin: ask the api for the whole row.
async function fetchMissing(id) {
  if (missing.has(id)) return;
  missing.add(id);
  try {
    store.upsert(await api.getTenant(id));
  } catch (error) {
    console.warn("could not fetch tenant", id, error);
  } finally {
    missing.delete(id);
  }
}

function announce(tenant, event) {
  if (!session.me || event.owner !== session.me.sub) return;
  if (event.type === "TenantActive") {
    toasts.show({ tone: "success", title: `${tenant.name} is active`, body: `Database ${event.database} is ready.` });
  } else if (event.type === "TenantUpdated") {
    toasts.show({ tone: "success", title: `${tenant.name} is updated`, body: `Saved: ${describe(event)}.` });
  } else if (event.type === "TenantCancelled") {
    toasts.show({ tone: "info", title: `${tenant.name} is cancelled`, body: "Nothing it created is left." });
  } else if (event.type === "TenantFailed") {
    toasts.show({ tone: "danger", title: `${tenant.name} failed`, body: `After ${event.attempts} attempts: ${event.error}` });
  }
}

async function onAction(action, id) {
  const tenant = store.get(id);
  if (!tenant) return;
  if (action === "history") history.open(tenant);
  else if (action === "edit") openEdit(tenant);
  else if (action === "delete") openDelete(tenant);
  else if (action === "cancel") openCancel(tenant);
  else if (action === "retry") await retry(id);
}

async function retry(id) {
  const name = store.get(id)?.name ?? id;
  tracker.begin(id);
  try {
    await api.retryTenant(id);
    tracker.accepted(id);
  } catch (error) {
    tracker.failed(id);
    toasts.show({ tone: "danger", title: `Could not retry ${name}`, body: error.message });
  }
}

function settle(id) {
  clearTimeout(timers.get(id));
  timers.delete(id);
  awaiting.delete(id);
  table.setInFlight(id, false);
}

function showUser(me) {
  $("#whoami").hidden = false;
  $("#sign-out").hidden = false;
  $("#whoami-name").textContent = me.sub;
  $("#whoami-avatar").textContent = me.sub.slice(0, 1).toUpperCase();
  $("#whoami-role").hidden = !me.roles.includes("admin");
  $("#tenants-scope").textContent = me.roles.includes("admin") ? "Every tenant (admin)" : "Your tenants";
}

function signOut(message) {
  session.live?.stop();
  Object.assign(session, { token: null, me: null, live: null });
  forgetToken();
  store.reset();
  indicator({ state: message ? "expired" : "offline" });
  for (const dialog of document.querySelectorAll("dialog[open]")) dialog.close();
  $("#workspace").hidden = true;
  $("#views").hidden = true;
  ops.hide();
  $("#whoami").hidden = true;
  $("#sign-out").hidden = true;
  signIn.show(message);
}

$("#load-retry").addEventListener("click", () => session.token && loadAndConnect(session.token));

const saved = storedToken();
let savedClaims = null;
try {
  savedClaims = saved ? claimsOf(saved) : null;
} catch {
  forgetToken();
}
if (saved && savedClaims && !isExpired(savedClaims)) enter(saved);
else signOut(savedClaims ? EXPIRED : "");
