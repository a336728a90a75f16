// Pagefind's search box. Opened from the disk (file://) browsers refuse to load the index: say so.
(function () {
  "use strict";
  if (location.protocol === "file:") {
    document.getElementById("search-file").hidden = false;
  }
  new PagefindUI({ element: "#search", showImages: false, showSubResults: true, resetStyles: false });
})();
