// Edit (name, plan), delete and cancel with confirmation, each a modal <dialog>.
import { showFieldErrors, showFormMessage, watchEdits } from "./form-errors.js";
import { databaseName } from "./format.js";
import { fillPlanChoices, validateEdit } from "./validation.js";

export function setUpEditDialog({ dialog, api, store, tracker }) {
  const form = dialog.querySelector("form");
  const message = form.querySelector(".form-message");
  let tenantId = null;
  fillPlanChoices(form.elements.plan);
  watchEdits(form);
  form.querySelector("[data-close]").addEventListener("click", () => dialog.close());

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const tenant = store.get(tenantId);
    const values = { name: form.elements.name.value.trim(), plan: form.elements.plan.value };
    const errors = validateEdit(values);
    if (Object.keys(errors).length) {
      showFieldErrors(form, errors)?.focus();
      return;
    }
    const changes = {};
    if (values.name !== tenant.name) changes.name = values.name;
    if (values.plan !== tenant.plan) changes.plan = values.plan;
    if (!Object.keys(changes).length) {
      showFormMessage(message, "Nothing changed.", "info");
      return;
    }
    const submit = form.querySelector('button[type="submit"]');
    submit.disabled = true;
    tracker.begin(tenantId);
    try {
      await api.updateTenant(tenantId, changes);
      tracker.accepted(tenantId);
      dialog.close();
    } catch (error) {
      tracker.failed(tenantId);
      const problem = error.problem;
      if (!problem) throw error;
      const first = showFieldErrors(form, problem.fieldErrors);
      const busy = problem.status === 409 ? "The tenant is busy: try again when it has finished." : "";
      showFormMessage(message, busy || [problem.title, problem.detail, ...problem.formErrors].filter(Boolean).join(": "));
      first?.focus();
    } finally {
      submit.disabled = false;
    }
  });

  return (tenant) => {
    tenantId = tenant.id;
    form.elements.name.value = tenant.name;
    form.elements.plan.value = tenant.plan;
    showFieldErrors(form, {});
    showFormMessage(message, "");
    dialog.querySelector(".dialog-subtitle").textContent = tenant.slug;
    dialog.showModal();
    form.elements.name.select();
  };
}

// A confirmation <dialog> for one tenant: `send` is the request, `refusal` words a 409.
function setUpConfirmDialog({ dialog, tracker, send, refusal, fill }) {
  const message = dialog.querySelector(".form-message");
  const confirm = dialog.querySelector("[data-confirm]");
  let target = null;
  dialog.querySelector("[data-close]").addEventListener("click", () => dialog.close());

  confirm.addEventListener("click", async () => {
    confirm.disabled = true;
    tracker.begin(target.id);
    try {
      await send(target.id);
      tracker.accepted(target.id);
      dialog.close();
    } catch (error) {
      tracker.failed(target.id);
      const problem = error.problem;
      if (!problem) throw error;
      showFormMessage(message, refusal(problem));
    } finally {
      confirm.disabled = false;
    }
  });

  return (tenant) => {
    target = tenant;
    fill(tenant);
    showFormMessage(message, "");
    dialog.showModal();
    // The safe choice has focus: Enter on an unexpected dialog must not act.
    dialog.querySelector("[data-close]").focus();
  };
}

const explained = (problem) => [problem.title, problem.detail].filter(Boolean).join(": ");

export function setUpDeleteDialog({ dialog, api, tracker }) {
  return setUpConfirmDialog({
    dialog, tracker,
    send: (id) => api.deleteTenant(id),
    refusal: (problem) => problem.status === 409
      ? "The tenant is busy: try again when it has finished." : explained(problem),
    fill: (tenant) => {
      dialog.querySelector(".delete-name").textContent = tenant.name;
      dialog.querySelector(".delete-database").textContent = databaseName(tenant);
    },
  });
}

export function setUpCancelDialog({ dialog, api, tracker }) {
  return setUpConfirmDialog({
    dialog, tracker,
    send: (id) => api.cancelTenant(id),
    refusal: (problem) =>
      (problem.status === 409 ? "It can no longer be cancelled: " : "") + explained(problem),
    fill: (tenant) => {
      dialog.querySelector(".cancel-name").textContent = tenant.name;
      dialog.querySelector(".cancel-database").textContent = databaseName(tenant);
    },
  });
}
