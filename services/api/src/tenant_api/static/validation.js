// The create and edit rules of the api, checked before a request is sent. The rules are
// the api's own (vocabulary.fields, read off its request bodies; vocabulary.plans); only
// the wording of each message is the page's.
import { matches, vocabulary } from "./vocabulary.js";

const { fields, plans } = vocabulary;

// The <select>'s choices are the api's plans, the default one chosen (also after a reset).
export function fillPlanChoices(select) {
  const label = (plan) => plan.replace(/^./, (c) => c.toUpperCase());
  select.replaceChildren(...plans.map((plan) => {
    const chosen = plan === vocabulary.default_plan;
    return new Option(label(plan), plan, chosen, chosen);
  }));
}

export function slugHint() {
  const { min_length: min, max_length: max } = fields.slug;
  return `Lowercase letters, digits and hyphens; starts with a letter; ${min}–${max} long.`;
}

// Values are checked as they will be sent (the forms trim them first).
export function validateName(name) {
  if (!/\S/.test(name)) return "Enter a name.";
  if (name.length > fields.name.max_length) return `Use at most ${fields.name.max_length} characters.`;
  // What the pattern refuses beyond blanks: control characters (PostgreSQL text cannot hold NUL).
  if (!matches(fields.name, name)) return "Remove control characters such as tabs or line breaks.";
  return null;
}

export function validateSlug(slug) {
  const rule = fields.slug;
  if (!slug) return "Enter a slug.";
  if (!/^[a-z]/.test(slug)) return "Start with a lowercase letter.";
  if (slug.length < rule.min_length || slug.length > rule.max_length) {
    return `Use ${rule.min_length} to ${rule.max_length} characters.`;
  }
  if (!matches(rule, slug)) return "Use lowercase letters, digits and hyphens only.";
  return null;
}

export function validatePlan(plan) {
  return plans.includes(plan) ? null : `Choose one of: ${plans.join(", ")}.`;
}

export function validateEmail(email) {
  const rule = fields.admin_email;
  if (!email) return "Enter the first admin's email address.";
  if (email.length > rule.max_length || !matches(rule, email)) return "Enter an email address like ada@example.com.";
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
  return slug.slice(0, fields.slug.max_length).replace(/-+$/, "");
}

function compact(errors) {
  return Object.fromEntries(Object.entries(errors).filter(([, message]) => message));
}
