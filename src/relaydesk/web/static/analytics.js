// Analytics: the queue's metric card and the analytics page's period form.
// A file of its own, not inline: the Content-Security-Policy allows only our own scripts.
(function () {
  // Same wording as the page: "4 min 12 s", a dash for no figure.
  const duration = (s) => {
    if (s === null || s === undefined) return "—";
    const w = Math.round(s);
    if (w < 60) return w + " s";
    if (w < 3600) { const m = Math.floor(w / 60), r = w % 60; return r ? m + " min " + String(r).padStart(2, "0") + " s" : m + " min"; }
    return Math.floor(w / 3600) + " h " + String(Math.floor((w % 3600) / 60)).padStart(2, "0") + " min";
  };

  function loadCard(card) {
    const put = (name, text) => { card.querySelector('[data-metric="' + name + '"]').textContent = text; };
    fetch(card.dataset.analyticsCard, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
      .then((report) => {
        put("pickup", duration(report.time_to_pickup.median_seconds));
        put("first_action", duration(report.time_to_first_action.median_seconds));
        put("conversion", report.conversion === null ? "—" : Math.round(report.conversion * 100) + "%");
        put("escalations", String(report.counts.escalations));
      })
      .catch(() => {
        ["pickup", "first_action", "conversion", "escalations"].forEach((n) => put(n, "—"));
        put("note", "Figures unavailable right now; open Analytics to retry.");
      });
  }

  function start() {
    document.querySelectorAll("[data-analytics-card]").forEach(loadCard);
    // The queue's card follows the queue live (static/queue.js tells of each arrival and departure).
    let again = null;
    document.addEventListener("relaydesk:queue-changed", () => {
      clearTimeout(again);
      again = setTimeout(() => document.querySelectorAll("[data-analytics-card]").forEach(loadCard), 500);
    });
    // Typing a date means "Dates…": without script, pick it in the period list.
    document.querySelectorAll("[data-custom-date]").forEach((input) =>
      input.addEventListener("change", () => { input.form.elements.period.value = "custom"; }));
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
