// Inline SVG icons (constant markup, never user data). Always beside visible text.

const svg = (body, extra = "") =>
  `<svg class="icon${extra}" viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" ` +
  `focusable="false" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" ` +
  `stroke-linejoin="round">${body}</svg>`;

export const ICONS = {
  clock: svg('<circle cx="12" cy="12" r="9"/><path d="M12 7v5l3 2"/>'),
  spinner: svg('<circle cx="12" cy="12" r="9" opacity=".25"/><path d="M21 12a9 9 0 0 0-9-9"/>', " spin"),
  check: svg('<circle cx="12" cy="12" r="9"/><path d="m8 12.5 2.8 2.8L16.5 9.5"/>'),
  alert: svg('<path d="M10.3 3.9 2.4 18a2 2 0 0 0 1.7 3h15.8a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z"/><path d="M12 9v4M12 17h.01"/>'),
  minus: svg('<circle cx="12" cy="12" r="9"/><path d="M8 12h8"/>'),
  close: svg('<path d="M6 6l12 12M18 6 6 18"/>'),
  trash: svg('<path d="M4 7h16M10 11v6M14 11v6M6 7l1 12a2 2 0 0 0 2 2h6a2 2 0 0 0 2-2l1-12M9 7V4h6v3"/>'),
  edit: svg('<path d="M12 20h9"/><path d="M16.5 3.5a2.1 2.1 0 0 1 3 3L7 19l-4 1 1-4z"/>'),
  retry: svg('<path d="M21 12a9 9 0 1 1-2.6-6.4L21 8"/><path d="M21 3v5h-5"/>'),
  history: svg('<path d="M3 12a9 9 0 1 0 2.6-6.4L3 8"/><path d="M3 3v5h5M12 7v5l3 2"/>'),
  plus: svg('<path d="M12 5v14M5 12h14"/>'),
  stop: svg('<circle cx="12" cy="12" r="9"/><path d="M5.6 5.6l12.8 12.8"/>'),
  layers: svg('<path d="m12 2 10 5-10 5L2 7z"/><path d="m2 17 10 5 10-5M2 12l10 5 10-5"/>'),
};

export const STATUS_LOOK = {
  Pending: { icon: "clock", tone: "neutral" },
  Provisioning: { icon: "spinner", tone: "info" },
  Active: { icon: "check", tone: "success" },
  Failed: { icon: "alert", tone: "danger" },
  Updating: { icon: "spinner", tone: "info" },
  Deleting: { icon: "spinner", tone: "warning" },
  Deleted: { icon: "minus", tone: "muted" },
  Cancelled: { icon: "stop", tone: "cancelled" },
};

export function statusBadge(status) {
  const look = STATUS_LOOK[status] ?? { icon: "clock", tone: "neutral" };
  const badge = document.createElement("span");
  badge.className = "badge";
  badge.dataset.tone = look.tone;
  badge.innerHTML = ICONS[look.icon];
  const text = document.createElement("span");
  text.className = "badge-text";
  text.textContent = status;
  badge.append(text);
  return badge;
}
