// A "copy" button next to a read-only field (data-copy names the field's id): shown only when
// the browser can copy, and it says so in a status line, for screen readers too.
(() => {
  for (const button of document.querySelectorAll("button[data-copy]")) {
    const field = document.getElementById(button.dataset.copy);
    const status = button.parentElement.querySelector(".copy-status");
    if (!field || !navigator.clipboard) continue;
    button.hidden = false;
    button.addEventListener("click", async () => {
      field.select();
      try {
        await navigator.clipboard.writeText(field.value);
        if (status) status.textContent = status.dataset.copied;
      } catch {
        // Not allowed here (no secure context): the field is selected; Ctrl+C copies it.
      }
    });
  }
  for (const field of document.querySelectorAll("input.token-value")) {
    field.addEventListener("focus", () => field.select());
  }
})();
