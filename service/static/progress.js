// The progress page keeps its numbers current while the campaign sends: every few seconds it
// asks progress.json and writes the answer into the elements marked data-field. Without
// JavaScript the page shows the numbers of when it was loaded, and a link to refresh them.
(function () {
  "use strict";

  const region = document.getElementById("progress");
  if (!region || !window.fetch) {
    return;
  }
  const url = region.dataset.progressUrl;
  const interval = Number(region.dataset.interval) || 3000;

  function valueAt(data, path) {
    return path.split(".").reduce((value, key) => (value == null ? undefined : value[key]), data);
  }

  function show(data) {
    document.querySelectorAll("[data-field]").forEach((element) => {
      const value = valueAt(data, element.dataset.field);
      const text = value == null ? "" : String(value);
      // Only changed text is written, so screen readers hear only what changed.
      if (element.textContent !== text) {
        element.textContent = text;
      }
    });
    document.querySelectorAll("[data-show-if]").forEach((element) => {
      element.hidden = !valueAt(data, element.dataset.showIf);
    });
    document.querySelectorAll("[data-show-when]").forEach((element) => {
      element.hidden = !element.dataset.showWhen.split(" ").includes(data.status);
    });
    region.dataset.status = data.status;
    // The title follows the heading ("... has been sent" once done); the site's name stays.
    const rest = document.title.indexOf(" · ");
    if (data.heading && rest >= 0) {
      document.title = data.heading + document.title.slice(rest);
    }
  }

  async function poll() {
    try {
      const response = await fetch(url, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (response.ok && response.headers.get("Content-Type").includes("json")) {
        show(await response.json());
      }
    } catch (error) {
      // A failed poll (network, expired login) is tried again at the next tick.
    }
    if (region.dataset.status === "sending") {
      window.setTimeout(poll, interval);
    }
  }

  if (region.dataset.status === "sending") {
    window.setTimeout(poll, interval);
  }
})();
