// One table row per tenant, built once and updated in place, so that focus, the spinner and
// the progress bar's transition survive every event.
import { ICONS, statusBadge } from "./icons.js";
import { absoluteTime, attemptNote, relativeTime, stageLabel } from "./format.js";
import { accepts, appliesIn, isBusy, isTerminal, isWorking } from "./tenant-fold.js";


export function buildRow() {
  const row = document.createElement("tr");
  row.innerHTML = `
    <th scope="row" class="c-name"><span class="name"></span></th>
    <td class="c-slug"><code class="slug"></code></td>
    <td class="c-plan"><span class="plan"></span></td>
    <td class="c-owner"><span class="owner"></span> <span class="you">you</span></td>
    <td class="c-status"></td>
    <td class="c-progress">
      <div class="progress-line">
        <div class="bar" role="progressbar" aria-valuemin="0" aria-valuemax="100"><span class="bar-fill"></span></div>
        <span class="stage"></span>
      </div>
      <p class="note"><span class="note-icon"></span><span class="note-text"></span></p>
      <span class="quiet"></span>
    </td>
    <td class="c-time"><time class="updated"></time><time class="created"></time></td>
    <td class="c-actions">
      <button type="button" class="btn btn-small btn-primary" data-action="retry">${ICONS.retry}<span>Retry</span></button>
      <button type="button" class="btn btn-small" data-action="cancel">${ICONS.stop}<span>Cancel</span></button>
      <button type="button" class="btn btn-icon" data-action="history">${ICONS.history}</button>
      <button type="button" class="btn btn-icon" data-action="edit">${ICONS.edit}</button>
      <button type="button" class="btn btn-icon btn-danger-ghost" data-action="delete">${ICONS.trash}</button>
    </td>`;
  return row;
}

export function updateRow(row, tenant, { me, inFlight, now = Date.now() }) {
  row.dataset.tenantId = tenant.id;
  row.dataset.slug = tenant.slug;
  row.dataset.status = tenant.status;
  row.dataset.version = String(tenant.version);
  row.classList.toggle("is-deleted", isTerminal(tenant));
  setText(row, ".name", tenant.name);
  setText(row, ".slug", tenant.slug);
  const plan = row.querySelector(".plan");
  plan.textContent = tenant.plan;
  plan.dataset.plan = tenant.plan;
  setText(row, ".owner", tenant.owner);
  row.querySelector(".you").hidden = !(me && tenant.owner === me.sub);
  updateStatus(row, tenant.status);
  updateProgress(row, tenant, now);
  updateTimes(row, tenant, now);
  updateActions(row, tenant, inFlight);
}

function updateStatus(row, status) {
  const cell = row.querySelector(".c-status");
  // Replaced only on a change, so the spinner keeps turning smoothly between progress events.
  if (cell.dataset.status === status) return;
  cell.dataset.status = status;
  cell.replaceChildren(statusBadge(status));
}

function updateProgress(row, tenant, now) {
  const moving = isWorking(tenant);
  const line = row.querySelector(".progress-line");
  line.hidden = !moving;
  const bar = row.querySelector(".bar");
  bar.setAttribute("aria-label", `${tenant.status} ${tenant.name}`);
  const determinate = moving && tenant.progress > 0;
  bar.classList.toggle("indeterminate", moving && !determinate);
  const stage = stageLabel(tenant.stage);
  const stageText = determinate ? `${stage || tenant.status} · ${tenant.progress}%` : stage || `${tenant.status}…`;
  if (determinate) {
    bar.setAttribute("aria-valuenow", String(tenant.progress));
    bar.setAttribute("aria-valuetext", `${stage || tenant.status}, ${tenant.progress}%`);
  } else {
    bar.removeAttribute("aria-valuenow");
    bar.removeAttribute("aria-valuetext");
  }
  row.querySelector(".bar-fill").style.width = determinate ? `${tenant.progress}%` : "";
  setText(row, ".stage", moving ? stageText : "");

  const note = attemptNote(tenant, now);
  const noteElement = row.querySelector(".note");
  noteElement.hidden = !note;
  if (note) {
    noteElement.dataset.tone = note.tone;
    const icon = row.querySelector(".note-icon");
    if (icon.dataset.tone !== note.tone) {
      icon.dataset.tone = note.tone;
      icon.innerHTML = note.tone === "danger" ? ICONS.alert : ICONS.retry;
    }
    setText(row, ".note-text", note.text);
  }
  setText(row, ".quiet", quietText(tenant));
}

function quietText(tenant) {
  if (tenant.status === "Pending") return tenant.error ? "Retry queued" : "Queued";
  if (tenant.status === "Active") return tenant.database ? `database ${tenant.database}` : "Ready";
  if (tenant.status === "Deleted") return "Database dropped";
  if (tenant.status === "Cancelled") return "Stopped; nothing left behind";
  return "";
}

function updateTimes(row, tenant, now) {
  for (const [selector, iso, label] of [[".updated", tenant.updated_at, "Updated"],
                                        [".created", tenant.created_at, "Created"]]) {
    const element = row.querySelector(selector);
    if (element.dateTime !== iso) {
      element.dateTime = iso;
      element.title = `${label} ${absoluteTime(iso)}`;
    }
    const relative = relativeTime(iso, now);
    setText(row, selector, selector === ".created" ? `created ${relative}` : relative);
  }
}

function updateActions(row, tenant, inFlight) {
  const busy = isBusy(tenant);
  const gone = isTerminal(tenant);
  const action = (name) => row.querySelector(`[data-action="${name}"]`);
  const label = (name, verb, title) => {
    const button = action(name);
    button.setAttribute("aria-label", `${verb} ${tenant.name}`);
    button.title = title;
  };
  const unlessBusy = (title) => (busy ? `${title}: not while the tenant is busy` : title);
  label("history", "History of", "History");
  // Only an Active tenant has a database to update (the api answers 409 otherwise).
  const editable = appliesIn(tenant, "TenantUpdateRequested");
  label("edit", "Edit", editable ? unlessBusy("Edit name or plan") : "Edit: only an Active tenant");
  label("delete", "Delete", unlessBusy("Delete"));
  label("retry", "Retry", "Provision again");
  label("cancel", "Cancel", "Stop provisioning and drop what it created");

  const retryable = appliesIn(tenant, "TenantRetryRequested");
  const retry = action("retry");
  retry.hidden = !retryable;
  retry.disabled = inFlight;
  retry.querySelector("span").textContent = inFlight && retryable ? "Retrying…" : "Retry";
  // Shown while a cancel would be accepted (contracts' accepts), and while one is pending.
  const cancelling = tenant.pending_request === "TenantCancelRequested";
  const cancel = action("cancel");
  cancel.hidden = !(cancelling || accepts(tenant, "TenantCancelRequested"));
  cancel.disabled = cancelling || inFlight;
  cancel.querySelector("span").textContent = cancelling ? "Cancelling…" : "Cancel";
  for (const name of ["edit", "delete"]) {
    action(name).hidden = gone;
    action(name).disabled = busy || inFlight;
  }
  action("edit").disabled ||= !editable;
}

function setText(row, selector, text) {
  const element = row.querySelector(selector);
  if (element.textContent !== text) element.textContent = text;
}
