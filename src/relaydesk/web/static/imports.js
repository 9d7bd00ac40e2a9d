// Settings → Integrations: follows a PSA import the worker is doing (import.progress, import.done
// live events, sent to admins and owners). The page renders the state on load; this only updates it.
(function () {
  "use strict";
  const panel = document.getElementById("psa-import");
  if (!panel || !window.EventSource) return;
  const status = document.getElementById("psa-import-status");
  const button = document.getElementById("psa-import-start");
  const source = new EventSource("/api/v1/live");
  function tally(data) {
    return data.imported + " imported, " + data.skipped + " already there, " + data.errors + " errors";
  }
  source.addEventListener("import.progress", (message) => {
    const data = JSON.parse(message.data);
    const payload = data.payload || data;
    status.textContent = "Importing: " + tally(payload) + " so far.";
    if (button) button.disabled = true;
  });
  source.addEventListener("import.done", (message) => {
    const data = JSON.parse(message.data);
    const payload = data.payload || data;
    status.textContent = payload.error
      ? "Stopped: " + payload.error + " (" + payload.imported + " imported.)"
      : "Import finished: " + tally(payload) + ".";
    if (button) button.disabled = false;
  });
})();
