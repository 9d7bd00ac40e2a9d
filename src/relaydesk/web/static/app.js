// Relaydesk pages: small progressive enhancements, no framework.
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]');

  // JSON API calls from pages carry the CSRF token the cookie session requires.
  window.relaydesk = {
    csrfToken: csrf ? csrf.content : "",
    async post(url, body) {
      const response = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf ? csrf.content : "" },
        body: JSON.stringify(body || {}),
        credentials: "same-origin",
      });
      const data = await response.json().catch(() => ({}));
      return { ok: response.ok, status: response.status, data };
    },
  };

  // The add-step form: Enter submits from any single-line field, and focus returns to the
  // first field after the page comes back, so steps can be logged one after another.
  document.querySelectorAll("form[data-keep-focus]").forEach((form) => {
    form.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && event.target.tagName === "INPUT") {
        event.preventDefault();
        if (form.reportValidity()) form.requestSubmit();
      }
    });
    if (location.hash === "#" + form.id) {
      const first = form.querySelector("[data-autofocus]");
      if (first) {
        first.focus();
        // Chromium scrolls to the #add-step fragment after this script runs, which moves focus
        // back to the page; focus again once loading is done.
        window.addEventListener("load", () => first.focus(), { once: true });
      }
    }
  });
})();
