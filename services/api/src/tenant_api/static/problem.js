// Turns an RFC 9457 problem (or any error body) into messages per form field.
// Servers name the field differently (field, JSON pointer, pydantic-style loc, Litestar key),
// so each is accepted.

const FIELD_KEYS = ["field", "pointer", "loc", "key", "name", "path", "param", "parameter"];
const MESSAGE_KEYS = ["message", "detail", "msg", "reason", "error", "title"];
const NOT_FIELDS = new Set(["body", "query", "path", "header", "#", ""]);

export function parseProblem(status, body, knownFields) {
  const problem = body && typeof body === "object" ? body : {};
  const result = {
    status,
    title: textOr(problem.title, status ? `Request failed (${status})` : "The api is unreachable"),
    detail: textOr(problem.detail, typeof body === "string" ? body.slice(0, 300) : ""),
    fieldErrors: {},
    formErrors: [],
  };
  for (const item of errorItems(problem)) {
    const field = fieldOf(item, knownFields);
    const message = messageOf(item);
    if (field && !result.fieldErrors[field]) result.fieldErrors[field] = message;
    else if (!field) result.formErrors.push(message);
  }
  return result;
}

function errorItems(problem) {
  const raw = problem.errors ?? problem.extra ?? problem.invalid_params ?? [];
  if (Array.isArray(raw)) return raw;
  if (raw && typeof raw === "object") {
    // {"slug": "taken"} or {"slug": ["taken"]}
    return Object.entries(raw).map(([field, value]) => ({
      field, message: Array.isArray(value) ? value.join(" ") : String(value),
    }));
  }
  return [];
}

function fieldOf(item, knownFields) {
  if (!item || typeof item !== "object") return null;
  for (const key of FIELD_KEYS) {
    const name = normalise(item[key]);
    if (name && knownFields.includes(name)) return name;
  }
  return null;
}

function normalise(value) {
  if (Array.isArray(value)) {
    const parts = value.filter((part) => typeof part === "string" && !NOT_FIELDS.has(part));
    return parts.length ? parts[parts.length - 1] : null;
  }
  if (typeof value !== "string") return null;
  const parts = value.replace(/\[\d+\]/g, "").split(/[/.]/).filter((part) => !NOT_FIELDS.has(part));
  return parts.length ? parts[parts.length - 1] : null;
}

function messageOf(item) {
  if (typeof item === "string") return item;
  if (item && typeof item === "object") {
    for (const key of MESSAGE_KEYS) {
      if (typeof item[key] === "string" && item[key]) return item[key];
    }
  }
  return "This value is not valid.";
}

function textOr(value, fallback) {
  return typeof value === "string" && value ? value : fallback;
}
