// How times, stages and failures read in the table and the history.

// A stage's name read as words (creating_database as Creating database); the stages
// themselves, and their order, are contracts' (vocabulary.stages).
export function stageLabel(stage) {
  if (!stage) return "";
  return stage.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
}

export function secondsUntil(iso, now = Date.now()) {
  return Math.max(0, Math.ceil((Date.parse(iso) - now) / 1000));
}

// "attempt 2 failed: …, retrying in 5 s" while a retry is scheduled; afterwards the error
// of the previous attempt stays visible beside the attempt under way.
export function attemptNote(tenant, now = Date.now()) {
  if (!tenant.error) return null;
  if (tenant.status === "Failed") {
    const attempts = tenant.attempt === 1 ? "1 attempt" : `${tenant.attempt} attempts`;
    return { tone: "danger", text: `Failed after ${attempts}: ${tenant.error}` };
  }
  if (tenant.status !== "Provisioning") return null;
  if (tenant.retry_at) {
    const seconds = secondsUntil(tenant.retry_at, now);
    const when = seconds > 0 ? `retrying in ${seconds} s` : "retrying now";
    return { tone: "warning", text: `attempt ${tenant.attempt} failed: ${tenant.error}, ${when}` };
  }
  if (tenant.attempt > 1) {
    return { tone: "warning", text: `attempt ${tenant.attempt - 1} failed: ${tenant.error}; attempt ${tenant.attempt} under way` };
  }
  return null;
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

export function relativeTime(iso, now = Date.now()) {
  const seconds = Math.round((Date.parse(iso) - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return "just now";
  if (abs < 3600) return relative.format(Math.round(seconds / 60), "minute");
  if (abs < 86400) return relative.format(Math.round(seconds / 3600), "hour");
  return relative.format(Math.round(seconds / 86400), "day");
}

export function absoluteTime(iso) {
  const time = Date.parse(iso);
  return Number.isNaN(time) ? iso : absolute.format(time);
}

export function timeElement(iso, className) {
  const element = document.createElement("time");
  element.className = className;
  element.dateTime = iso;
  element.title = absoluteTime(iso);
  element.textContent = relativeTime(iso);
  return element;
}

// The database a tenant has, or will have: the provisioner's naming (tenant_ and the
// slug with '-' as '_'), for the rows that have none yet.
export function databaseName(tenant) {
  return tenant.database ?? `tenant_${tenant.slug.replaceAll("-", "_")}`;
}
