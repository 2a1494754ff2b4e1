// The create and edit rules of the api, checked before a request is sent.

export const PLANS = ["free", "pro", "enterprise"];
export const SLUG_PATTERN = /^[a-z][a-z0-9-]{2,39}$/;
export const NAME_MAX = 100;
const EMAIL_PATTERN = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
// PostgreSQL text cannot hold NUL, and the api refuses every control character.
const CONTROL = /[\x00-\x1f\x7f]/;

// Values are checked as they will be sent (the forms trim them first).
export function validateName(name) {
  if (!/\S/.test(name)) return "Enter a name.";
  if (name.length > NAME_MAX) return `Use at most ${NAME_MAX} characters.`;
  if (CONTROL.test(name)) return "Remove control characters such as tabs or line breaks.";
  return null;
}

export function validateSlug(slug) {
  if (!slug) return "Enter a slug.";
  if (!/^[a-z]/.test(slug)) return "Start with a lowercase letter.";
  if (slug.length < 3 || slug.length > 40) return "Use 3 to 40 characters.";
  if (!SLUG_PATTERN.test(slug)) return "Use lowercase letters, digits and hyphens only.";
  return null;
}

export function validatePlan(plan) {
  return PLANS.includes(plan) ? null : `Choose one of: ${PLANS.join(", ")}.`;
}

export function validateEmail(email) {
  if (!email) return "Enter the first admin's email address.";
  if (email.length > 254 || CONTROL.test(email) || !EMAIL_PATTERN.test(email)) return "Enter an email address like ada@example.com.";
  return null;
}

export function validateCreate(values) {
  return compact({
    name: validateName(values.name),
    slug: validateSlug(values.slug),
    plan: validatePlan(values.plan),
    admin_email: validateEmail(values.admin_email),
  });
}

export function validateEdit(values) {
  return compact({ name: validateName(values.name), plan: validatePlan(values.plan) });
}

// A suggestion while the user has not typed a slug of their own.
export function slugFromName(name) {
  let slug = name.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  slug = slug.replace(/^[^a-z]+/, "");
  return slug.slice(0, 40).replace(/-+$/, "");
}

function compact(errors) {
  return Object.fromEntries(Object.entries(errors).filter(([, message]) => message));
}
