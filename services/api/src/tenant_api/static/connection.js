// The connection indicator: a dot and always a word, so colour is never the only signal.
// The word sits in a status region; the ticking countdown is kept out of it (no chatter).

const WORDS = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  forbidden: "Not allowed",
  expired: "Session expired",
  offline: "Offline",
};

export function setUpIndicator(element, onRetryNow) {
  const text = element.querySelector(".conn-text");
  const countdown = element.querySelector(".conn-countdown");
  const retry = element.querySelector(".conn-retry");
  retry.addEventListener("click", () => onRetryNow());
  let timer = null;
  return ({ state, retryInMs }) => {
    clearInterval(timer);
    element.dataset.state = state;
    text.textContent = WORDS[state] ?? state;
    retry.hidden = !retryInMs;
    countdown.textContent = "";
    if (retryInMs) {
      const until = Date.now() + retryInMs;
      const render = () => {
        const seconds = Math.ceil((until - Date.now()) / 1000);
        countdown.textContent = seconds > 0 ? `in ${seconds} s` : "";
      };
      render();
      timer = setInterval(render, 250);
    }
  };
}
