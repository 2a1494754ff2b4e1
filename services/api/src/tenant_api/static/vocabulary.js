// The platform's rules as the api serves them (GET /api/v1/vocabulary, built from
// tenant_contracts and the api's request bodies): statuses, which request a tenant takes
// in which status, plans, stages in order, the form's field rules. The fold, the buttons
// and the forms read them here; none of them keeps a copy that could drift.
const RETRY_MS = [500, 1000, 2000, 5000];

export const vocabulary = await load();

// A rule's pattern, matched against the whole value (as the api does).
export function matches(rule, value) {
  return new RegExp(rule.pattern).test(value);
}

// Every module waits for this before the page starts: without the rules the page can
// neither fold events nor check a form, so it keeps asking and says why it waits.
async function load() {
  for (let attempt = 0; ; attempt++) {
    try {
      const response = await fetch("/api/v1/vocabulary", { headers: { Accept: "application/json" } });
      if (response.ok) {
        showWaiting(null);
        return await response.json();
      }
      showWaiting(`the api answered ${response.status}`);
    } catch (error) {
      showWaiting(error.message);
    }
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]));
  }
}

function showWaiting(why) {
  const notice = document.getElementById("boot-error");
  if (!notice) return;
  notice.hidden = why === null;
  notice.textContent = why === null ? "" : `Waiting for the platform's rules (${why}); retrying…`;
}
