// Deliveries on pages: refresh the workspace's Deliveries section while messages are on their way,
// follow a "send test" result, and look a PSA ticket up to prefill a new session. No framework.
(function () {
  "use strict";
  if (window.relaydeskDeliveries) return; // the section and the page may both include this file
  window.relaydeskDeliveries = true;

  const FINAL = ["sent", "dead"];

  async function getJson(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    const data = await response.json().catch(() => ({}));
    return { ok: response.ok, status: response.status, data };
  }

  // The workspace section: reload it every few seconds while anything is pending, sending or
  // failed (waiting for a retry), for up to ten minutes.
  function watchSection() {
    const started = Date.now();
    async function tick() {
      const section = document.querySelector("[data-deliveries-src]");
      if (!section || !section.hasAttribute("data-in-flight") || Date.now() - started > 600000) return;
      try {
        const response = await fetch(section.dataset.deliveriesSrc, { credentials: "same-origin" });
        if (response.ok) {
          const holder = document.createElement("div");
          holder.innerHTML = await response.text();
          const fresh = holder.querySelector("[data-deliveries-src]");
          if (fresh) section.replaceWith(fresh);
        }
      } catch (e) { /* offline for a moment: try again next tick */ }
      setTimeout(tick, 4000);
    }
    setTimeout(tick, 3000);
  }

  // Settings → Integrations: follow the test delivery until it is sent or dead.
  function watchTest() {
    const box = document.querySelector("[data-delivery-poll]");
    if (!box) return;
    const field = (name) => box.querySelector(`[data-field="${name}"]`);
    let tries = 0;
    async function tick() {
      tries += 1;
      const { ok, data } = await getJson(`/api/v1/deliveries/${box.dataset.deliveryPoll}`).catch(() => ({}));
      if (ok) {
        const status = field("status");
        status.textContent = data.status;
        status.className = `delivery-status ${data.status}`;
        field("detail").textContent =
          data.status === "sent" ? `delivered${data.external_id ? ` (${data.external_id})` : ""}.`
          : FINAL.includes(data.status) || data.status === "failed" ? "" : "on its way…";
        const error = field("error");
        error.hidden = !data.last_error;
        error.textContent = data.last_error || "";
        if (FINAL.includes(data.status) || data.status === "failed") return;
      }
      if (tries < 60) setTimeout(tick, 1000);
    }
    const first = field("status");
    if (first && !FINAL.includes(first.textContent.trim())) setTimeout(tick, 500);
  }

  // New session: "Look up" fills the problem, client and priority from the PSA ticket.
  function ticketLookup() {
    const button = document.querySelector("[data-psa-lookup]");
    if (!button) return;
    const form = button.closest("form");
    const out = document.querySelector("[data-psa-lookup-result]");
    button.addEventListener("click", async () => {
      const ticket = form.elements.ticket_id.value.trim();
      if (!ticket) { form.elements.ticket_id.focus(); return; }
      out.textContent = "Looking it up…";
      button.disabled = true;
      try {
        const { ok, data } = await getJson(`/api/v1/psa/tickets/${encodeURIComponent(ticket)}`);
        if (!ok) { out.textContent = data.detail || "The lookup failed."; return; }
        const problem = form.elements.problem_summary;
        if (!problem.value.trim()) problem.value = data.summary;
        if (data.company && !form.elements.client_name.value.trim()) form.elements.client_name.value = data.company;
        if (data.suggested_priority) form.elements.priority.value = data.suggested_priority;
        out.textContent = `Filled from ${data.psa} ticket ${data.ticket_id}${data.priority ? ` (its priority: ${data.priority})` : ""}.`;
      } catch (e) {
        out.textContent = "The lookup failed; check the connection and try again.";
      } finally {
        button.disabled = false;
      }
    });
  }

  watchSection();
  watchTest();
  ticketLookup();
})();
