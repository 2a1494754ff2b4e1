// Toasts in a live region: screen readers announce them, sighted users see them stack.
import { ICONS } from "./icons.js";

const LIFETIME_MS = 7000;

export class Toasts {
  constructor(region) {
    this.region = region;
  }

  show({ tone, title, body }) {
    const toast = document.createElement("div");
    toast.className = "toast";
    toast.dataset.tone = tone;
    // The region is polite; a failure interrupts (alert) because the user may act on it.
    if (tone === "danger") toast.setAttribute("role", "alert");
    const icon = document.createElement("span");
    icon.className = "toast-icon";
    icon.innerHTML = tone === "danger" ? ICONS.alert : ICONS.check;
    const text = document.createElement("div");
    text.className = "toast-text";
    const heading = document.createElement("strong");
    heading.textContent = title;
    const detail = document.createElement("span");
    detail.textContent = body;
    text.append(heading, detail);
    const close = document.createElement("button");
    close.type = "button";
    close.className = "btn btn-icon toast-close";
    close.setAttribute("aria-label", "Dismiss notification");
    close.innerHTML = ICONS.close;
    close.addEventListener("click", () => toast.remove());
    toast.append(icon, text, close);
    this.region.append(toast);
    // Failures stay until dismissed: the error text may be needed.
    if (tone !== "danger") setTimeout(() => toast.remove(), LIFETIME_MS);
  }
}
