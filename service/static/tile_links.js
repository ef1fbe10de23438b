// A click on a province tile of the dashboard's map opens the contact list of that province.
// Only for the pointer: the map is one image for screen readers, and the table below it has
// the same links for the keyboard.
(function () {
  "use strict";
  document.querySelectorAll(".tile-link[data-href]").forEach((tile) => {
    tile.addEventListener("click", () => {
      window.location.assign(tile.dataset.href);
    });
  });
})();
