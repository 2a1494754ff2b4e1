// The create form: the api's rules first, then the api's own answer at the same fields.
import { newIdempotencyKey } from "./api.js";
import { showFieldErrors, showFormMessage, watchEdits } from "./form-errors.js";
import { fillPlanChoices, slugFromName, slugHint, validateCreate } from "./validation.js";

export function setUpCreateForm({ form, api, onCreated }) {
  const name = form.elements.name;
  const slug = form.elements.slug;
  const message = form.querySelector(".form-message");
  const submit = form.querySelector('button[type="submit"]');
  let slugTouched = false;
  // One key per intended tenant: a double submit or a retried request creates it once.
  let idempotencyKey = newIdempotencyKey();

  fillPlanChoices(form.elements.plan);
  form.querySelector("#create-slug-hint").textContent = slugHint();
  watchEdits(form);
  name.addEventListener("input", () => {
    if (!slugTouched) slug.value = slugFromName(name.value);
  });
  slug.addEventListener("input", () => {
    slugTouched = slug.value !== "";
  });
  form.addEventListener("input", () => showFormMessage(message, ""));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = {
      name: name.value.trim(),
      slug: slug.value.trim(),
      plan: form.elements.plan.value,
      admin_email: form.elements.admin_email.value.trim(),
    };
    const errors = validateCreate(values);
    if (Object.keys(errors).length) {
      showFieldErrors(form, errors)?.focus();
      return;
    }
    submit.disabled = true;
    showFormMessage(message, "Requesting…", "info");
    try {
      const tenant = await api.createTenant(values, idempotencyKey);
      idempotencyKey = newIdempotencyKey();
      form.reset();
      slugTouched = false;
      showFieldErrors(form, {});
      showFormMessage(message, `Requested ${tenant.name}: provisioning starts in a moment.`, "success");
      onCreated(tenant);
      name.focus();
    } catch (error) {
      showServerErrors(form, message, error);
    } finally {
      submit.disabled = false;
    }
  });
}

function showServerErrors(form, message, error) {
  const problem = error.problem;
  if (!problem) throw error;
  const fieldErrors = { ...problem.fieldErrors };
  // A taken slug is a conflict rather than a validation error; it belongs at the slug.
  if (problem.status === 409 && !Object.keys(fieldErrors).length) {
    fieldErrors.slug = problem.detail || "This slug is already taken.";
  }
  const first = showFieldErrors(form, fieldErrors);
  const rest = problem.formErrors.join(" ");
  const summary = first ? rest : [problem.title, problem.detail, rest].filter(Boolean).join(": ");
  showFormMessage(message, summary);
  first?.focus();
}
