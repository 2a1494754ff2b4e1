// Installed before the SPA loads: records every distinct state each row shows, as rendered,
// so that a step lasting a few milliseconds is still seen (no need to catch it in the act).
(() => {
  const trace = (window.__rowTrace = {});
  const valueNow = (bar) => (bar?.hasAttribute("aria-valuenow") ? Number(bar.getAttribute("aria-valuenow")) : null);
  const snapshot = () => {
    for (const row of document.querySelectorAll("tr[data-slug]")) {
      const note = row.querySelector(".note");
      const state = {
        status: row.querySelector(".badge-text")?.textContent ?? "",
        progress: row.querySelector(".progress-line")?.hidden ? null : valueNow(row.querySelector(".bar")),
        stage: row.querySelector(".stage")?.textContent ?? "",
        note: note && !note.hidden ? row.querySelector(".note-text").textContent : "",
        edit_disabled: row.querySelector('[data-action="edit"]')?.disabled ?? null,
        retry_visible: !(row.querySelector('[data-action="retry"]')?.hidden ?? true),
      };
      const list = (trace[row.dataset.slug] ??= []);
      const key = JSON.stringify(state);
      if (list.length === 0 || list[list.length - 1].key !== key) list.push({ ...state, key });
    }
  };
  new MutationObserver(snapshot).observe(document, {
    subtree: true, childList: true, attributes: true, characterData: true,
  });
})();
