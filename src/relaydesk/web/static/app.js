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

// Handoffs: first focus, the Context dialog, Esc back to the workspace, the escalate panel, the bell.
(function () {
  "use strict";
  const narrow = window.matchMedia("(max-width: 900px)");

  // The pickup screen's primary choice (or the "taken by" banner) takes focus. On a phone the
  // choices sit below the story; keep the page at its top rather than jumping past the story.
  const first = document.querySelector("[data-initial-focus]");
  if (first) first.focus({ preventScroll: narrow.matches });

  // The pickup screen reopened for context: Esc goes back to the workspace.
  const escHome = document.querySelector("[data-esc-href]");
  if (escHome) {
    document.addEventListener("keydown", (event) => {
      const busy = document.querySelector("dialog[open], .bell-menu:not([hidden])");
      if (event.key === "Escape" && !event.defaultPrevented && !busy) {
        location.href = escHome.dataset.escHref;
      }
    });
  }

  // "Context" opens the snapshot in a modal dialog; Esc and the Close button close it natively.
  document.querySelectorAll("[data-open-dialog]").forEach((opener) => {
    const dialog = document.getElementById(opener.dataset.openDialog);
    if (!dialog || typeof dialog.showModal !== "function") return; // the link still works
    opener.addEventListener("click", (event) => {
      event.preventDefault();
      dialog.showModal();
    });
  });

  // "Escalate" in the header opens the escalate panel and puts the cursor in it.
  const openDetails = (details) => {
    details.open = true;
    const field = details.querySelector("input:not([type=hidden]), textarea, select");
    if (field) field.focus();
  };
  document.querySelectorAll("[data-open-details]").forEach((opener) => {
    const details = document.getElementById(opener.dataset.openDetails);
    if (!details) return;
    opener.addEventListener("click", (event) => {
      event.preventDefault();
      openDetails(details);
      details.scrollIntoView({ block: "nearest" });
    });
    if (location.hash === "#" + details.id) {
      openDetails(details);
      // as for #add-step: Chromium's own scroll to the fragment takes focus back; focus again
      window.addEventListener("load", () => openDetails(details), { once: true });
    }
  });

  // Following an unread item marks it read; keepalive lets the request outlive the navigation.
  const markRead = (url) =>
    fetch(url, {
      method: "POST",
      keepalive: true,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": window.relaydesk.csrfToken },
      body: "{}",
    }).catch(() => {});
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[data-mark-read]");
    if (link) markRead(link.dataset.markRead);
  });

  // The bell: a dropdown of the latest items over the /notifications page it links to.
  const bell = document.getElementById("bell");
  if (!bell) return;
  const count = document.getElementById("bell-count");
  const menu = document.createElement("div");
  menu.id = "bell-menu";
  menu.className = "bell-menu";
  menu.hidden = true;
  menu.setAttribute("role", "region");
  menu.setAttribute("aria-label", "Notifications");
  bell.after(menu);
  bell.setAttribute("aria-expanded", "false");
  bell.setAttribute("aria-controls", "bell-menu");

  const el = (tag, props, ...children) => {
    const node = Object.assign(document.createElement(tag), props || {});
    children.forEach((child) => node.append(child));
    return node;
  };
  const ago = (iso) => {
    const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
    if (s < 60) return "just now";
    if (s < 3600) return Math.floor(s / 60) + " min ago";
    if (s < 86400) return Math.floor(s / 3600) + " h ago";
    return Math.floor(s / 86400) + " d ago";
  };
  const close = (refocus) => {
    menu.hidden = true;
    bell.setAttribute("aria-expanded", "false");
    if (refocus) bell.focus();
  };
  const show = (data) => {
    const readAll = el("button", { type: "button", className: "link", textContent: "Mark all read" });
    readAll.hidden = !data.unread;
    readAll.addEventListener("click", async () => {
      const answer = await window.relaydesk.post("/api/v1/notifications/read-all");
      if (answer.ok) {
        if (count) { count.textContent = "0"; count.classList.remove("unread"); }
        load();
      }
    });
    const items = data.items.slice(0, 8).map((item) => {
      const state = item.state === "taken" || item.state === "withdrawn" ? " · " + item.state : "";
      const link = el(
        "a",
        { href: item.link.startsWith("/") ? item.link : "/notifications" },
        el("span", { textContent: (item.read_at ? "" : "● ") + item.title }),
        el("small", { textContent: ago(item.created_at) + state }),
      );
      if (!item.read_at) {
        link.dataset.markRead = "/api/v1/notifications/" + item.id + "/read";
        link.style.fontWeight = "600";
      }
      return el("li", {}, link);
    });
    menu.replaceChildren(
      el("div", { className: "menu-head" }, el("strong", { textContent: data.unread + " unread" }), readAll),
      items.length ? el("ul", {}, ...items) : el("p", { textContent: "Nothing yet." }),
      el("div", { className: "menu-foot" }, el("a", { href: "/notifications", textContent: "All notifications" })),
    );
  };
  const load = async () => {
    menu.replaceChildren(el("p", { textContent: "Loading…" }));
    try {
      const response = await fetch("/api/v1/notifications", {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (!response.ok) throw new Error(String(response.status));
      show(await response.json());
    } catch (error) {
      menu.replaceChildren(el("p", {}, "Could not load them; ", el("a", { href: "/notifications", textContent: "open the page" }), "."));
    }
  };
  bell.addEventListener("click", (event) => {
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey || event.button !== 0) return;
    event.preventDefault();
    if (menu.hidden) {
      menu.hidden = false;
      bell.setAttribute("aria-expanded", "true");
      load();
    } else {
      close(false);
    }
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !menu.hidden) {
      event.preventDefault();
      close(true);
    }
  });
  document.addEventListener("click", (event) => {
    if (!menu.hidden && !menu.contains(event.target) && !bell.contains(event.target)) close(false);
  });
})();

// Summaries: suggestion chips under the add-step form, and the resolve screen's write-up tabs with copy.
(function () {
  "use strict";
  const post = (url) => window.relaydesk.post(url);

  // Chips: the session's suggestions (offline at once; "Ask the model" for one model call). A click
  // puts the step in "What did you do?" and the cursor after it.
  const box = document.getElementById("suggestions");
  const action = document.getElementById("step-action");
  if (box) {
    const list = box.querySelector("[data-chips]");
    const note = box.querySelector("[data-suggestions-note]");
    const ask = box.querySelector("[data-suggestions-ask]");
    const show = (data) => {
      list.replaceChildren(...data.suggested_steps.map((step) => {
        const chip = Object.assign(document.createElement("button"), { type: "button", className: "chip", textContent: step });
        chip.dataset.chip = "";
        const item = document.createElement("li");
        item.append(chip);
        return item;
      }));
      const engine = data.engine === "offline" ? "this account's resolved sessions" : data.engine;
      note.textContent = (data.suggested_steps.length ? "" : data.likely_cause + " ")
        + "Confidence " + data.confidence + ", from " + engine + "."
        + (data.fallback_reason ? " (" + data.fallback_reason + ")" : "");
    };
    const load = async (engine) => {
      note.textContent = engine === "offline" ? "Looking at this account's resolved sessions…" : "Asking the model…";
      if (ask) ask.disabled = true;
      const answer = await post(box.dataset.suggestionsUrl + (engine === "offline" ? "?engine=offline" : ""));
      if (ask) ask.disabled = false;
      if (answer.ok) show(answer.data);
      else note.textContent = (answer.data && answer.data.detail) || "Suggestions are not available right now.";
    };
    if (box.hasAttribute("data-fetch")) load("offline");
    if (ask) ask.addEventListener("click", () => load("auto"));
    box.addEventListener("click", (event) => {
      const chip = event.target.closest("[data-chip]");
      if (!chip || !action) return;
      action.value = chip.textContent.trim();
      action.focus();
      action.setSelectionRange(action.value.length, action.value.length);
    });
  }

  // Write-up tabs: the ticket note is there at once; the client update and email draft are asked for
  // the first time their tab opens (made once and cached by the server; "Make it again" remakes).
  const conclude = document.getElementById("conclude");
  if (!conclude) return;
  const tabs = Array.from(conclude.querySelectorAll('[role="tab"]'));
  const fetchVariant = async (panel, refresh) => {
    const url = conclude.dataset.variantsUrl;
    if (!url) return;
    const text = panel.querySelector("textarea");
    const engineLine = panel.querySelector("[data-engine]");
    text.value = "";
    text.placeholder = "Writing it…";
    const answer = await post(url + "/" + panel.dataset.variant + (refresh ? "?refresh=true" : ""));
    if (!answer.ok) {
      text.placeholder = (answer.data && answer.data.detail) || "It could not be made; try again.";
      return;
    }
    panel.dataset.loaded = "";
    text.value = answer.data.text;
    engineLine.textContent = (answer.data.engine === "offline" ? "Made by template (offline)" : "Made by " + answer.data.engine)
      + (answer.data.cached ? ", saved earlier" : "") + "."
      + (answer.data.fallback_reason ? " The model's version is not shown: " + answer.data.fallback_reason + "." : "");
  };
  const select = (tab, focus) => {
    tabs.forEach((other) => {
      const chosen = other === tab;
      other.setAttribute("aria-selected", String(chosen));
      other.tabIndex = chosen ? 0 : -1;
      document.getElementById(other.getAttribute("aria-controls")).hidden = !chosen;
    });
    if (focus) tab.focus();
    const panel = document.getElementById(tab.getAttribute("aria-controls"));
    if (!panel.hasAttribute("data-loaded")) fetchVariant(panel, false);
  };
  tabs.forEach((tab, index) => {
    tab.addEventListener("click", () => select(tab, false));
    tab.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (step) select(tabs[(index + step + tabs.length) % tabs.length], true);
    });
  });
  conclude.addEventListener("click", async (event) => {
    const remake = event.target.closest("[data-remake]");
    if (remake) fetchVariant(remake.closest('[role="tabpanel"]'), true);
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    const source = document.getElementById(button.dataset.copy);
    const state = button.parentElement.querySelector(".copy-state");
    const done = (message, hint) => {
      state.textContent = message;
      state.classList.toggle("hint", hint);
      if (!hint) {
        button.classList.add("copied");
        button.textContent = "Copied ✓";
        setTimeout(() => { button.classList.remove("copied"); button.textContent = "Copy"; state.textContent = ""; }, 2500);
      }
    };
    try {
      if (!navigator.clipboard || !window.isSecureContext) throw new Error("no clipboard API");
      // A permission prompt nobody answers must not leave the button silent: fall back after 1 s.
      await Promise.race([
        navigator.clipboard.writeText(source.value),
        new Promise((resolve, reject) => setTimeout(() => reject(new Error("clipboard timeout")), 1000)),
      ]);
      done("Copied to the clipboard", false);
    } catch (error) {
      // No Clipboard API (plain http, older browsers): select the text and use the old command.
      source.focus();
      source.select();
      let copied = false;
      try { copied = document.execCommand("copy"); } catch (ignored) { copied = false; }
      if (copied) done("Copied to the clipboard", false);
      else done("Selected: press Ctrl+C (⌘C on a Mac) to copy", true);
    }
  });
})();

// Masked secrets (steps in the workspace, pickup screen and context dialog): "Reveal" asks the
// server, which records the reveal in the audit trail, and shows the value in place.
(function () {
  "use strict";
  document.addEventListener("click", async (event) => {
    const button = event.target.closest(".secret-mask button.reveal");
    if (!button) return;
    const mask = button.closest(".secret-mask");
    const value = mask.querySelector(".secret-value");
    if (mask.classList.contains("revealed")) {
      value.textContent = mask.dataset.masked;
      mask.classList.remove("revealed");
      button.textContent = "Reveal";
      return;
    }
    button.disabled = true;
    const result = await window.relaydesk.post(mask.dataset.reveal, {
      field: mask.dataset.field,
      index: Number(mask.dataset.index),
    });
    button.disabled = false;
    if (!result.ok) {
      button.textContent = "Could not reveal";
      return;
    }
    mask.dataset.masked = value.textContent;
    value.textContent = result.data.value;
    mask.classList.add("revealed");
    button.textContent = "Hide";
  });
})();
