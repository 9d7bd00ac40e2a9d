// The queue page: the SLA countdown and waits ticking from each row's data attributes, the
// figures above the list, live rows placed by their sort key, and the keyboard (j/k/Enter/?).
// Rows are the server's fragments (GET /queue/rows/{id}); nothing here builds row markup.
(function () {
  "use strict";
  const list = document.getElementById("queue");
  if (!list) return;
  const keys = document.getElementById("queue-keys");
  const GLYPHS = { ok: "◷", soon: "⚠", breached: "✕" };
  const SOON_SHARE = 0.25; // handoffs/triage.py SOON_SHARE

  // The same words as handoffs/triage.py `span`: "2 h 05 min", "14 min", "4:07".
  function span(seconds) {
    const w = Math.max(0, Math.floor(seconds));
    if (w >= 3600) return Math.floor(w / 3600) + " h " + String(Math.floor((w % 3600) / 60)).padStart(2, "0") + " min";
    if (w >= 600) return Math.floor(w / 60) + " min";
    return Math.floor(w / 60) + ":" + String(w % 60).padStart(2, "0");
  }

  function tick() {
    const now = Date.now();
    list.querySelectorAll("[data-waiting-since]").forEach((time) => {
      time.textContent = span((now - Date.parse(time.dataset.waitingSince)) / 1000);
    });
    list.querySelectorAll("[data-sla-due]").forEach((sla) => {
      const left = (Date.parse(sla.dataset.slaDue) - now) / 1000;
      const window_ = Number(sla.dataset.slaWindow) || 0;
      const state = left <= 0 ? "breached" : left <= window_ * SOON_SHARE ? "soon" : "ok";
      sla.className = "sla sla-" + state;
      sla.querySelector(".sla-glyph").textContent = GLYPHS[state];
      sla.querySelector(".sla-words").textContent =
        left <= 0 ? "SLA breached " + span(-left) + " ago" : span(left) + " left to pick up";
      const row = sla.closest(".queue-item");
      if (row) row.dataset.slaState = state;
    });
    figures();
  }

  function figures() {
    const rows = [...list.querySelectorAll(".queue-item")];
    const put = (name, value) => {
      const node = document.querySelector('[data-figure="' + name + '"]');
      if (node && node.textContent !== String(value)) node.textContent = String(value);
    };
    put("waiting", rows.length);
    put("urgent", rows.filter((r) => r.dataset.priority === "urgent").length);
    put("high", rows.filter((r) => r.dataset.priority === "high").length);
    put("breached", rows.filter((r) => r.dataset.slaState === "breached").length);
    const empty = document.getElementById("queue-empty");
    if (empty) empty.hidden = rows.length > 0;
  }

  // A live arrival: the server's row, with this page's filters (a 404 means it is not for this view).
  const gone = new Set();
  async function place(handoffId) {
    gone.delete(handoffId);
    const query = list.dataset.query ? "?" + list.dataset.query : "";
    const response = await fetch(list.dataset.rowsUrl + encodeURIComponent(handoffId) + query, {
      credentials: "same-origin",
    });
    if (!response.ok || gone.has(handoffId)) return;
    const holder = document.createElement("template");
    holder.innerHTML = (await response.text()).trim();
    const row = holder.content.querySelector(".queue-item");
    if (!row) return;
    const old = list.querySelector('[data-handoff-id="' + handoffId + '"]');
    if (old) old.remove();
    // before the first row whose key sorts after it: priority, then the longest waiting first
    const after = [...list.children].find((other) => other.dataset.sort > row.dataset.sort);
    list.insertBefore(row, after || null);
    row.classList.add("unread");
    if (!window.matchMedia("(prefers-reduced-motion: reduce)").matches) {
      row.animate([{ opacity: 0, transform: "translateY(-0.75rem)" }, { opacity: 1, transform: "none" }],
        { duration: 200, easing: "ease-out" });
    }
    tick();
    changed();
  }
  function remove(handoffId) {
    gone.add(handoffId);
    const row = list.querySelector('[data-handoff-id="' + handoffId + '"]');
    if (row) {
      if (row === selected()) move(1) || move(-1);
      row.remove();
    }
    figures();
    changed();
  }
  // Other figures on the page (the analytics card) refresh themselves on this.
  function changed() { document.dispatchEvent(new CustomEvent("relaydesk:queue-changed")); }
  window.relaydesk = Object.assign(window.relaydesk || {}, { queue: { place, remove } });

  // --- the keyboard ------------------------------------------------------------------------------
  function selected() { return list.querySelector(".queue-item.selected"); }
  function move(by) {
    const rows = [...list.querySelectorAll(".queue-item")];
    if (!rows.length) return false;
    const current = rows.indexOf(selected());
    const next = current < 0 ? (by > 0 ? 0 : rows.length - 1) : current + by;
    if (next < 0 || next >= rows.length) return false;
    rows.forEach((r) => r.classList.toggle("selected", r === rows[next]));
    rows[next].querySelector("a.row-main").focus();
    return true;
  }
  function typing(target) {
    return target instanceof Element && !!target.closest("input, textarea, select, [contenteditable=''], [contenteditable='true']");
  }
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (keys && keys.open) return; // the dialog has the keyboard; Esc closes it
    if (event.key === "j" || event.key === "k") {
      event.preventDefault();
      move(event.key === "j" ? 1 : -1);
    } else if (event.key === "Enter" && selected() && !event.target.closest("a, button")) {
      event.preventDefault();
      location.href = selected().querySelector("a.row-main").href;
    } else if (event.key === "?" && keys) {
      event.preventDefault();
      keys.showModal();
    }
  });
  // A row focused by Tab or a click is the selection too, so j/k continue from there.
  list.addEventListener("focusin", (event) => {
    const row = event.target.closest(".queue-item");
    if (row) list.querySelectorAll(".queue-item").forEach((r) => r.classList.toggle("selected", r === row));
  });
  document.querySelectorAll("[data-open-keys]").forEach((b) => b.addEventListener("click", () => keys && keys.showModal()));

  tick();
  setInterval(tick, 1000);
})();
