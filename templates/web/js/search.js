// Pagefind's search box. Opened from the disk (file://) browsers refuse to load the index: say so.
(function () {
  "use strict";
  if (location.protocol === "file:") {
    document.getElementById("search-file").hidden = false;
  }
  new PagefindUI({ element: "#search", showImages: false, showSubResults: true, resetStyles: false });
  // the search box is labelled by the visible help text, not by its placeholder alone
  (function label(tries) {
    var input = document.querySelector("#search input");
    if (input) {
      input.setAttribute("aria-labelledby", "search-label");
    } else if (tries > 0) {
      setTimeout(function () { label(tries - 1); }, 50);
    }
  })(40);
})();
