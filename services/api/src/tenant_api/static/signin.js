// Sign-in for local use: paste a token, or get a dev token from the api (DEV_TOKENS=1).
import { showFieldErrors, watchEdits } from "./form-errors.js";
import { claimsOf, isExpired } from "./session.js";

export function setUpSignIn({ view, api, devTokens, onToken }) {
  const tokenForm = view.querySelector("#token-form");
  const devForm = view.querySelector("#dev-token-form");
  const notice = view.querySelector("#signin-notice");
  devForm.hidden = !devTokens;
  view.querySelector(".divider").hidden = !devTokens;
  watchEdits(tokenForm);
  watchEdits(devForm);

  tokenForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const token = tokenForm.elements.token.value.trim();
    const problem = checkToken(token);
    if (problem) {
      showFieldErrors(tokenForm, { token: problem })?.focus();
      return;
    }
    tokenForm.reset();
    onToken(token);
  });

  devForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const sub = devForm.elements.sub.value.trim();
    if (!sub) {
      showFieldErrors(devForm, { sub: "Enter a user name, for example alice." })?.focus();
      return;
    }
    const roles = devForm.elements.admin.checked ? ["admin"] : [];
    const submit = devForm.querySelector('button[type="submit"]');
    submit.disabled = true;
    try {
      const { token } = await api.devToken(sub, roles);
      onToken(token);
    } catch (error) {
      showFieldErrors(devForm, { sub: error.message || "The api gave no token." })?.focus();
    } finally {
      submit.disabled = false;
    }
  });

  return {
    show(message = "") {
      notice.textContent = message;
      notice.hidden = !message;
      view.hidden = false;
      (devTokens ? devForm.elements.sub : tokenForm.elements.token).focus();
    },
    hide() {
      view.hidden = true;
    },
  };
}

function checkToken(token) {
  if (!token) return "Paste a token.";
  try {
    const claims = claimsOf(token);
    if (isExpired(claims)) return "This token has expired: get a new one.";
  } catch (error) {
    return error.message;
  }
  return null;
}
