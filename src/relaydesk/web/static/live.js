// Live pages: one native EventSource on /api/v1/live; no framework. Untrusted text goes in with
// textContent only. The browser reconnects by itself with Last-Event-ID, and the server replays
// what was missed; `reset` means the history is gone, so the page reloads.
(function () {
  "use strict";
  if (!window.EventSource) return;
  const $ = (id) => document.getElementById(id);
  const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");
  const baseTitle = document.title;
  const queued = new Set(); // handoffs counted in #queue-count by this page
  let me = null;
  let role = "viewer";
  let unseen = 0;
  const since = document.querySelector('meta[name="live-since"]');
  const query = since && since.content ? "?since=" + encodeURIComponent(since.content) : "";
  const source = new EventSource("/api/v1/live" + query);

  function on(type, handle) {
    source.addEventListener(type, (message) => handle(JSON.parse(message.data)));
  }
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function bump(id, delta) {
    const badge = $(id);
    if (!badge) return;
    const count = Math.max(0, (parseInt(badge.textContent, 10) || 0) + delta);
    badge.textContent = count ? String(count) : "";
    if (id === "bell-count") badge.classList.toggle("unread", count > 0);
  }
  let recount = null;
  function refreshQueueCount() {
    // A handoff this page never counted left the queue: ask rather than guess.
    clearTimeout(recount);
    recount = setTimeout(async () => {
      const response = await fetch("/api/v1/handoffs", { credentials: "same-origin" });
      if (!response.ok || !$("queue-count")) return;
      const data = await response.json(); // a list, or a page {"items", "next_cursor"}
      const items = Array.isArray(data) ? data : data.items || [];
      $("queue-count").textContent = String(items.length || "");
    }, 300);
  }
  // Replace one server-rendered element (#handoff-status, #assessment) with its fresh rendering.
  async function refresh(id) {
    const response = await fetch(location.href, { credentials: "same-origin" });
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html").getElementById(id);
    if (response.ok && fresh && $(id)) $(id).replaceWith(document.importNode(fresh, true));
  }
  // The queue page places the server-rendered row (static/queue.js); no row markup here.
  const queuePage = () => (window.relaydesk && window.relaydesk.queue) || null;
  function arrived(e) {
    if (!me || e.payload.escalator_id === me) return; // never your own in your queue
    const list = $("queue");
    if (!(list && list.querySelector('[data-handoff-id="' + e.handoff_id + '"]')) && !queued.has(e.handoff_id)) {
      queued.add(e.handoff_id);
      bump("queue-count", 1);
    }
    if (queuePage()) queuePage().place(e.handoff_id);
    if (document.hidden && role !== "viewer") document.title = "(" + ++unseen + ") " + baseTitle;
  }
  function left(e) {
    const row = $("queue") && $("queue").querySelector('[data-handoff-id="' + e.handoff_id + '"]');
    if (row || queued.has(e.handoff_id)) bump("queue-count", -1);
    else refreshQueueCount();
    queued.delete(e.handoff_id);
    if (queuePage()) queuePage().remove(e.handoff_id);
  }
  function shows(id, e) {
    return $(id) && $(id).dataset.handoffId === e.handoff_id;
  }
  function about(id, e) {
    return $(id) && $(id).dataset.sessionId === e.session_id;
  }
  // The workspace header carries the buttons the policy allows now: re-rendered by the server
  // when the session changes hands, never rebuilt here.
  function rehead(e) {
    if (about("session-head", e)) refresh("session-head");
  }

  // <html data-live="on|off">: subscribed (nothing committed from now on is missed) or reconnecting.
  on("ready", (hello) => { me = hello.user_id; role = hello.role; document.documentElement.dataset.live = "on"; });
  source.addEventListener("error", () => { document.documentElement.dataset.live = "off"; });
  on("handoff.created", arrived);
  on("handoff.released", (e) => { arrived(e); rehead(e); if (shows("handoff-status", e)) refresh("handoff-status"); });
  on("handoff.withdrawn", (e) => { left(e); rehead(e); if (shows("handoff-status", e)) refresh("handoff-status"); });
  on("handoff.claimed", (e) => {
    left(e);
    rehead(e);
    if (shows("handoff-status", e)) refresh("handoff-status");
    if (shows("assessment", e) && e.payload.claimed_by_id !== me) {
      let banner = $("taken-banner");
      if (!banner) {
        banner = el("div", "banner taken");
        banner.id = "taken-banner";
        banner.setAttribute("role", "alert");
        ($("main") || document.body).prepend(banner);
      }
      const line = el("p");
      line.append(el("strong", "", "Taken by " + e.payload.claimed_by), ". It is theirs now.");
      const back = el("a", "", "Back to the queue");
      back.href = "/queue";
      banner.replaceChildren(line, el("p"));
      banner.lastChild.append(back);
    }
  });
  // The conversation, the timeline and the pickup screen's story: re-rendered by the server.
  on("comment.created", (e) => { if (about("comments", e)) refresh("comments"); });
  function stepChanged(e) {
    if (about("timeline-steps", e)) refresh("timeline-steps");
    if (about("tried", e)) refresh("tried");
    const row = $("queue") && $("queue").querySelector('[data-session-id="' + e.session_id + '"] .step-count');
    const n = e.payload.step_count;
    if (row && typeof n === "number") row.textContent = n + (n === 1 ? " step" : " steps");
  }
  ["step.added", "step.edited", "step.deleted"].forEach((type) => on(type, stepChanged));
  on("summary.ready", (e) => { if (shows("assessment", e)) refresh("assessment"); });
  // A file on a step (workspace timeline, pickup screen): that step's list, rendered again.
  on("attachment.added", (e) => { if ($("attachments-" + e.payload.step_id)) refresh("attachments-" + e.payload.step_id); });
  on("notification.created", () => bump("bell-count", 1));
  source.addEventListener("reset", () => { source.close(); location.reload(); });
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) { unseen = 0; document.title = baseTitle; }
  });
})();
