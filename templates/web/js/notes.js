// Notes as pop-ups: a note reference opens its note beside it; Escape or "Close" closes it and
// returns to the reference. Without JavaScript the reference is a link to the note below.
(function () {
  "use strict";
  var open = null;
  function close() {
    if (!open) return;
    var ref = open.ref;
    open.box.remove();
    ref.setAttribute("aria-expanded", "false");
    open = null;
    ref.focus();
  }
  function show(ref) {
    var id = decodeURIComponent(ref.getAttribute("href").slice(1));
    var note = document.getElementById(id);
    if (!note) return false;
    close();
    var box = document.createElement("div");
    box.className = "note-popup";
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-label", note.getAttribute("aria-label") || "Note");
    box.tabIndex = -1;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "close";
    button.textContent = "Close";
    button.addEventListener("click", close);
    box.appendChild(button);
    Array.prototype.forEach.call(note.children, function (child) {
      var copy = child.cloneNode(true);
      Array.prototype.forEach.call(copy.querySelectorAll("[id]"), function (el) { el.removeAttribute("id"); });
      var back = copy.querySelector(".backlink");
      if (back) back.replaceWith(document.createTextNode(back.textContent));
      box.appendChild(copy);
    });
    var r = ref.getBoundingClientRect();
    box.style.top = (window.scrollY + r.bottom + 6) + "px";
    box.style.left = Math.max(8, Math.min(window.scrollX + r.left - 16, document.documentElement.clientWidth - 340)) + "px";
    document.body.appendChild(box);
    ref.setAttribute("aria-expanded", "true");
    open = {box: box, ref: ref};
    box.focus();
    return true;
  }
  document.addEventListener("click", function (e) {
    var ref = e.target.closest && e.target.closest("a.noteref");
    if (ref) {
      if (show(ref)) e.preventDefault();
    } else if (open && !open.box.contains(e.target)) {
      close();
    }
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") close();
  });
})();
