// Shows messages at form fields: aria-invalid plus a described-by message, cleared on edit.

export function showFieldErrors(form, errors) {
  let first = null;
  for (const control of form.querySelectorAll("[name]")) {
    const message = errors[control.name];
    const slot = form.querySelector(`#${control.id}-error`);
    if (!slot) continue;
    slot.textContent = message ?? "";
    slot.hidden = !message;
    if (message) {
      control.setAttribute("aria-invalid", "true");
      first ??= control;
    } else {
      control.removeAttribute("aria-invalid");
    }
  }
  return first;
}

export function clearFieldError(control) {
  const slot = control.form?.querySelector(`#${control.id}-error`);
  control.removeAttribute("aria-invalid");
  if (slot) {
    slot.textContent = "";
    slot.hidden = true;
  }
}

export function showFormMessage(element, text, tone = "danger") {
  element.textContent = text;
  element.dataset.tone = tone;
  element.hidden = !text;
}

export function watchEdits(form) {
  form.addEventListener("input", (event) => {
    if (event.target.name) clearFieldError(event.target);
  });
}
