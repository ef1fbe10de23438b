/* The composer without reloads. The page is a plain form that works on its own; this script
   moves, removes and adds blocks in place, saves the draft a few seconds after a change
   (POST to the autosave URL with the form's CSRF token and version) and refreshes the preview.
   A version conflict is reported and autosave stops, so nobody's work is overwritten. */
(function () {
  "use strict";
  const form = document.getElementById("composer-form");
  if (!form || !form.dataset.autosaveUrl) return;
  const list = document.getElementById("blocks");
  const status = document.getElementById("composer-status");
  const frame = document.getElementById("preview-frame");
  const textPart = document.getElementById("preview-text");
  const lint = document.getElementById("lint");
  const checks = document.getElementById("checks-counts");
  const DELAY = 2000;
  let timer = null;
  let current = null; // the save under way, if any
  let again = false;
  let stopped = false;

  function say(message) {
    // Emptied first, so the same message twice is announced twice.
    status.textContent = "";
    window.setTimeout(() => { status.textContent = message; }, 50);
  }

  function blocks() {
    return Array.from(list.children).filter((el) => el.classList.contains("block"));
  }

  function renumber() {
    const all = blocks();
    all.forEach((block, n) => {
      const old = block.id.replace("block-", "");
      block.id = "block-" + n;
      const prefix = new RegExp("^blocks-" + old + "-");
      block.querySelectorAll("[name], [id], [for], [aria-describedby]").forEach((el) => {
        ["name", "id", "for"].forEach((attr) => {
          const value = el.getAttribute(attr);
          if (value) el.setAttribute(attr, value.replace(prefix, "blocks-" + n + "-"));
        });
        const described = el.getAttribute("aria-describedby");
        if (described) {
          el.setAttribute("aria-describedby", described.split(" ")
            .map((id) => id.replace(prefix, "blocks-" + n + "-")).join(" "));
        }
      });
      block.querySelectorAll("[data-template]").forEach((el) => {
        el.textContent = el.dataset.template.replace("{n}", String(n + 1));
      });
      block.querySelectorAll("button[data-move]").forEach((button) => {
        const move = button.dataset.move;
        button.value = move + "-" + n;
        if (move === "up") button.disabled = n === 0;
        if (move === "down") button.disabled = n === all.length - 1;
      });
    });
  }

  function changed() {
    if (stopped) return;
    window.clearTimeout(timer);
    timer = window.setTimeout(() => { timer = null; save(); }, DELAY);
  }

  function showErrors(errors) {
    form.querySelectorAll(".error-text[data-from-autosave]").forEach((el) => {
      el.hidden = true;
      el.textContent = "";
    });
    form.querySelectorAll("[aria-invalid][data-from-autosave]").forEach((el) => {
      el.removeAttribute("aria-invalid");
      el.removeAttribute("data-from-autosave");
    });
    Object.entries(errors || {}).forEach(([id, message]) => {
      const input = document.getElementById(id);
      let text = document.getElementById(id + "-error");
      if (!text && input) {
        text = document.createElement("p");
        text.className = "error-text";
        text.id = id + "-error";
        input.insertAdjacentElement("afterend", text);
      }
      if (input) {
        const details = input.closest("details");
        if (details) details.open = true;
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("data-from-autosave", "");
      }
      if (text) {
        text.textContent = message;
        text.hidden = false;
        text.setAttribute("data-from-autosave", "");
        if (input) {
          const described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
          if (!described.includes(text.id)) {
            described.push(text.id);
            input.setAttribute("aria-describedby", described.join(" "));
          }
        }
      }
    });
  }

  function save() {
    if (stopped) return Promise.resolve();
    if (current) { again = true; return current; }
    current = send().finally(() => {
      current = null;
      if (again && !stopped) { again = false; save(); }
    });
    return current;
  }

  async function send() {
    say(form.dataset.msgSaving);
    const data = new FormData(form);
    data.set("action", "autosave");
    try {
      const response = await fetch(form.dataset.autosaveUrl, {
        method: "POST",
        body: data,
        headers: { "X-CSRFToken": data.get("csrf_token"), "Accept": "application/json" },
        credentials: "same-origin",
      });
      const answer = await response.json();
      if (answer.conflict) stopped = true;
      showErrors(answer.errors);
      if (answer.saved) {
        form.elements.version.value = answer.version;
        if (lint && answer.lint_html !== undefined) lint.innerHTML = answer.lint_html;
        if (checks && answer.checks_html !== undefined) checks.innerHTML = answer.checks_html;
        if (textPart) textPart.textContent = answer.text;
        if (frame && answer.changed) reloadPreview(answer.version);
      }
      say(answer.message);
    } catch (error) {
      say(form.dataset.msgFailed);
    }
  }

  // Everything typed is saved before any form on the page is sent (a test mail, a copy), and
  // the composer's own submit waits for a save under way, so its version is the newest.
  async function settle() {
    while (current) await current;
  }
  function flushThen(next) {
    if (timer !== null) {
      window.clearTimeout(timer);
      timer = null;
      save();
    }
    settle().then(next);
  }
  document.addEventListener("submit", (event) => {
    if (stopped) return;
    const target = event.target;
    const pending = timer !== null;
    window.clearTimeout(timer);
    timer = null;
    if (target === form ? !current : !pending && !current) return;
    event.preventDefault();
    if (target !== form && pending) save();
    const submitter = event.submitter;
    settle().then(() => target.requestSubmit(submitter));
  });

  function reloadPreview(version) {
    const url = new URL(frame.dataset.baseSrc, window.location.href);
    url.searchParams.set("v", String(version));
    url.searchParams.set("scheme", frame.dataset.scheme);
    url.searchParams.set("lang", frame.dataset.lang);
    frame.src = url.pathname + url.search;
  }

  // Buttons of the blocks: move, remove, add, all without a reload.
  form.addEventListener("click", (event) => {
    const button = event.target.closest("button[name=action]");
    if (!button || stopped) return;
    const action = button.value;
    if (action === "save") return; // a real submit stays possible
    event.preventDefault();
    if (action === "add") {
      const type = form.elements.add_type.value;
      const template = document.getElementById("block-template-" + type);
      if (!template) return;
      const block = template.content.firstElementChild.cloneNode(true);
      list.appendChild(block);
      enableUploads(block);
      renumber();
      const first = block.querySelector("input:not([type=hidden]), textarea") || block;
      first.focus();
      say(form.dataset.msgAdded);
      changed();
      return;
    }
    const block = button.closest(".block");
    const move = button.dataset.move;
    if (move === "remove") {
      const next = block.nextElementSibling || block.previousElementSibling;
      block.remove();
      renumber();
      (next || document.getElementById("add-block")).focus();
      say(form.dataset.msgRemoved);
    } else if (move === "up" && block.previousElementSibling) {
      list.insertBefore(block, block.previousElementSibling);
      renumber();
      focusMoved(block, "up");
    } else if (move === "down" && block.nextElementSibling) {
      list.insertBefore(block.nextElementSibling, block);
      renumber();
      focusMoved(block, "down");
    } else {
      return;
    }
    changed();
  });

  function focusMoved(block, move) {
    // Keep focus on the same button in its new place. When it can go no further (top or
    // bottom), the block's summary line takes the focus: never the opposite button, where a
    // second Enter would move the block straight back.
    const button = block.querySelector("button[data-move=" + move + "]");
    const summary = block.querySelector("summary");
    if (button && !button.disabled) button.focus();
    else (summary || block).focus();
    const n = blocks().indexOf(block) + 1;
    say(form.dataset.msgMoved.replace("{n}", String(n)));
  }

  // Folding: "Collapse all" / "Expand all", a link to a block (a check's "Go to block")
  // unfolds it, and a folded block's summary shows its first words as they are now.
  const GIST_FIELDS = { header: ["host", "title"], image: ["alt", "caption", "src"], button: ["label"] };
  const GIST_WORDS = 8;
  function gist(block) {
    const n = block.id.replace("block-", "");
    const preferred = (GIST_FIELDS[block.dataset.type] || [])
      .map((name) => document.getElementById("blocks-" + n + "-" + name));
    const fields = preferred.concat(Array.from(block.querySelectorAll("textarea, input[type=text]")));
    for (const field of fields) {
      if (!field) continue;
      const words = field.value.replace(/\]\([^)]*\)|[#*_>[\]`]+|^\s*[-0-9.]+\s+/gm, " ")
        .split(/\s+/).filter(Boolean);
      if (words.length) {
        const text = words.slice(0, GIST_WORDS).join(" ");
        return words.length > GIST_WORDS ? text + "…" : text;
      }
    }
    return "";
  }
  list.addEventListener("toggle", (event) => {
    const details = event.target;
    if (!details.matches || !details.matches(".block-details") || details.open) return;
    const words = gist(details.closest(".block"));
    const place = details.querySelector(".block-gist");
    if (place) place.textContent = words ? " · " + words : "";
  }, true);
  const fold = document.getElementById("blocks-fold");
  if (fold) {
    fold.hidden = false;
    fold.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-fold]");
      if (!button) return;
      const open = button.dataset.fold === "open";
      list.querySelectorAll(".block-details").forEach((details) => { details.open = open; });
    });
  }
  function unfoldTarget() {
    const target = window.location.hash && document.getElementById(window.location.hash.slice(1));
    const block = target && target.closest && target.closest(".block");
    const details = block && block.querySelector(".block-details");
    if (details) details.open = true;
  }
  window.addEventListener("hashchange", unfoldTarget);
  unfoldTarget();

  // The preview follows the block being edited: the email's rows of that block (marked
  // data-block="<index>" in the preview only) are scrolled to and outlined. A click on a part of
  // the preview opens its block here. The frame is same-origin; its own scripts never run.
  let followed = null;
  function previewDocument() {
    try { return frame && frame.contentDocument && frame.contentDocument.body ? frame.contentDocument : null; }
    catch (error) { return null; }
  }
  function follow(index, scroll) {
    followed = index;
    blocks().forEach((block, n) => block.classList.toggle("block-current", n === index));
    const doc = previewDocument();
    if (!doc) return;
    doc.querySelectorAll("[data-block-current]").forEach((cell) => {
      cell.style.outline = "";
      cell.removeAttribute("data-block-current");
    });
    const rows = Array.from(doc.querySelectorAll('[data-block="' + index + '"]'));
    rows.forEach((row) => Array.from(row.children).forEach((cell) => {
      cell.style.outline = "3px solid #d4351c";
      cell.style.outlineOffset = "-3px";
      cell.setAttribute("data-block-current", "");
    }));
    if (scroll && rows.length) {
      const view = doc.defaultView;
      const top = rows[0].getBoundingClientRect().top + view.scrollY - 16;
      view.scrollTo(0, Math.max(0, top));
    }
  }
  function followBlock(block) {
    const index = blocks().indexOf(block);
    if (index >= 0 && index !== followed) follow(index, true);
  }
  list.addEventListener("focusin", (event) => {
    const block = event.target.closest(".block");
    if (block) followBlock(block);
  });
  list.addEventListener("toggle", (event) => {
    if (event.target.matches && event.target.matches(".block-details") && event.target.open) {
      followed = null;
      followBlock(event.target.closest(".block"));
    }
  }, true);
  function watchPreview() {
    const doc = previewDocument();
    if (!doc || doc.documentElement.dataset.composerWatched) return;
    doc.documentElement.dataset.composerWatched = "1";
    doc.addEventListener("click", (event) => {
      const part = event.target.closest && event.target.closest("[data-block]");
      if (!part || event.target.closest("a")) return;
      const block = document.getElementById("block-" + part.dataset.block);
      if (!block) return;
      const details = block.querySelector(".block-details");
      if (details) details.open = true;
      const first = block.querySelector("textarea, input:not([type=hidden]):not([type=file])");
      (first || block.querySelector("summary") || block).focus();
      block.scrollIntoView({ block: "nearest" });
      follow(blocks().indexOf(block), false);
    });
    if (followed !== null) follow(followed, true);
  }
  if (frame) {
    frame.addEventListener("load", watchPreview);
    watchPreview();
  }

  // Choosing which block to add changes nothing yet.
  const edited = (event) => {
    if (event.target.name !== "add_type" && event.target.type !== "file") changed();
  };
  form.addEventListener("input", edited);
  form.addEventListener("change", edited);
  // Save what is waiting before the page goes away.
  window.addEventListener("pagehide", () => {
    if (timer !== null && !stopped) {
      window.clearTimeout(timer);
      const data = new FormData(form);
      data.set("action", "autosave");
      navigator.sendBeacon(form.dataset.autosaveUrl, data);
    }
  });

  // Image upload: the file goes to the images store; its address lands in the block's field.
  function enableUploads(root) {
    root.querySelectorAll(".image-upload[hidden]").forEach((el) => { el.hidden = false; });
  }
  enableUploads(form);
  form.addEventListener("change", async (event) => {
    const input = event.target;
    if (!input.matches("input[type=file][data-upload-for]") || !input.files.length) return;
    const block = input.closest(".block");
    const n = block.id.replace("block-", "");
    const data = new FormData();
    data.append("file", input.files[0]);
    data.append("csrf_token", form.elements.csrf_token.value);
    say(form.dataset.msgUploading);
    try {
      const response = await fetch(form.dataset.uploadUrl, {
        method: "POST",
        body: data,
        headers: { "X-CSRFToken": form.elements.csrf_token.value, "Accept": "application/json" },
        credentials: "same-origin",
      });
      const answer = await response.json();
      if (!response.ok) { say(answer.error); return; }
      document.getElementById("blocks-" + n + "-src").value = answer.url;
      const width = document.getElementById("blocks-" + n + "-width");
      if (width && answer.width) width.value = String(Math.min(answer.width, 600));
      input.value = "";
      say(form.dataset.msgUploaded);
      changed();
    } catch (error) {
      say(form.dataset.msgFailed);
    }
  });

  // Preview toggles: width, colour scheme and text part, without a reload.
  document.querySelectorAll("[data-view]").forEach((link) => {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      const kind = link.dataset.view;
      const value = link.dataset.value;
      document.querySelectorAll("[data-view=" + kind + "]").forEach((other) => {
        if (other === link) other.setAttribute("aria-current", "true");
        else other.removeAttribute("aria-current");
      });
      if (kind === "width" && frame) {
        frame.className = "preview-" + value;
        if (value === "mobile") frame.setAttribute("width", "375");
        else frame.removeAttribute("width");
      } else if (kind === "scheme" && frame) {
        frame.dataset.scheme = value;
        reloadPreview(form.elements.version.value);
      } else if (kind === "lang") {
        // The text part and the checks are in the email's language too: a reload shows them,
        // after what was typed is saved.
        flushThen(() => { window.location.href = link.href; });
        return;
      } else if (kind === "part") {
        document.getElementById("preview-html").hidden = value === "text";
        textPart.hidden = value !== "text";
      }
      window.history.replaceState(null, "", link.href);
    });
  });
})();
