// The notifier's WebSocket: resumes after the last seq seen, so that a reconnect loses
// nothing, and backs off with jitter so that a restarted notifier is not stampeded.

const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 15000;

export const CLOSE_UNAUTHORIZED = 4401;
export const CLOSE_FORBIDDEN = 4403;
// `after` is beyond the stream's head (the reason ends with "head=<seq>"): the list this
// page holds is from another stream (a rebuilt one, a restored backup). Resuming cannot
// fix that; the page starts over from a fresh list.
export const CLOSE_AFTER_BEYOND_HEAD = 4416;

export function headOf(reason) {
  const match = /head=(\d+)$/.exec(reason ?? "");
  return match ? Number(match[1]) : null;
}

// After a sleep (a laptop lid) the socket can look open while it is dead, and nothing
// tells the browser. Timers stand still while asleep, so a tick that comes far too late
// means the machine woke up: then reconnect, resuming after the last seq.
const WAKE_CHECK_MS = 5000;

export function watchForWake(onWake, { every = WAKE_CHECK_MS, now = () => Date.now() } = {}) {
  let last = now();
  return setInterval(() => {
    const current = now();
    if (current - last > every * 3) onWake();
    last = current;
  }, every);
}

export function backoffDelay(failures, random = Math.random) {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, failures - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export class LiveConnection {
  #socket = null;
  #timer = null;
  #failures = 0;
  #stopped = false;

  // tenants: follow only these tenants' events (the notifier's `tenant` parameter).
  constructor({ url, token, tokenExpired, after, onEvent, onState, onUnauthorized, onBeyondHead,
                tenants = [] }) {
    this.url = url;
    this.tenants = tenants;
    this.token = token;
    this.tokenExpired = tokenExpired;
    this.after = after;
    this.onEvent = onEvent;
    this.onState = onState;
    this.onUnauthorized = onUnauthorized;
    this.onBeyondHead = onBeyondHead;
  }

  start() {
    this.#stopped = false;
    this.#connect();
  }

  stop() {
    this.#stopped = true;
    clearTimeout(this.#timer);
    if (this.#socket) this.#socket.close(1000, "signed out");
    this.#socket = null;
  }

  // Skip the wait of a scheduled reconnect (the browser came back online, the user asked).
  reconnectNow() {
    if (this.#stopped || this.#socket) return;
    clearTimeout(this.#timer);
    this.#connect();
  }

  // Drop the current socket, even one that looks open, and resume at once.
  refresh() {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    const old = this.#socket;
    this.#socket = null; // from now on its close event is ignored (see onclose)
    if (old) old.close(1000, "reconnecting after a sleep");
    this.#connect();
  }

  #connect() {
    // A server may refuse an expired token at the handshake, which the browser reports as a
    // plain 1006: without this check the page would retry a dead token forever.
    if (this.tokenExpired()) {
      this.onState({ state: "expired" });
      this.onUnauthorized();
      return;
    }
    const url = new URL(this.url, location.href);
    url.searchParams.set("access_token", this.token);
    url.searchParams.set("after", String(this.after ?? 0));
    for (const id of this.tenants) url.searchParams.append("tenant", id);
    url.searchParams.set("batch", "1"); // a page that is behind gets `events` frames (see #receive)
    this.onState({ state: this.#failures ? "reconnecting" : "connecting" });
    const socket = new WebSocket(url);
    this.#socket = socket;
    socket.onmessage = (message) => this.#receive(message.data);
    socket.onclose = (closed) => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      this.#closed(closed.code, closed.reason);
    };
  }

  #receive(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return; // not a frame of ours; the next one may be
    }
    if (frame.type === "welcome") {
      this.#failures = 0;
      this.onState({ state: "live" });
    } else if (frame.type === "events" && Array.isArray(frame.items)) {
      // Several event frames in stream order, sent as one message when the page was behind.
      for (const item of frame.items) this.#event(item);
    } else {
      this.#event(frame);
    }
  }

  #event(frame) {
    if (frame?.type === "event" && typeof frame.seq === "number") {
      // Advance first: a frame that breaks the page must not be asked for again forever.
      if (frame.seq > (this.after ?? 0)) this.after = frame.seq;
      try {
        this.onEvent(frame.seq, frame.event);
      } catch (error) {
        console.error("could not apply event", frame, error);
      }
    }
  }

  #closed(code, reason) {
    if (this.#stopped) return;
    if (code === CLOSE_UNAUTHORIZED) {
      this.onState({ state: "expired" });
      this.onUnauthorized();
      return;
    }
    if (code === CLOSE_AFTER_BEYOND_HEAD && this.onBeyondHead) {
      this.#stopped = true; // the page opens a new connection after the fresh list
      this.onState({ state: "connecting" });
      this.onBeyondHead(headOf(reason));
      return;
    }
    // 4008 (too slow), 1012 (restarting), 1006 (dropped) and the rest: resume after `after`.
    this.#failures += 1;
    const delay = backoffDelay(this.#failures);
    this.onState({ state: code === CLOSE_FORBIDDEN ? "forbidden" : "reconnecting", retryInMs: delay });
    this.#timer = setTimeout(() => this.#connect(), delay);
  }
}
