/* The share sheet: copy the link and the phone's own share menu, each counted as a share.
   Without scripts these buttons stay hidden and the link is there to select and copy. */
(function () {
  function count(button) {
    var form = button.closest("form");
    if (!form || !window.htmx) {
      return;
    }
    var data = new FormData(form);
    data.set("channel", button.getAttribute("data-count"));
    htmx.ajax("POST", form.action, {values: Object.fromEntries(data), swap: "none"});
  }
  function status(button, text) {
    var box = button.closest(".share-sheet, .card");
    var place = box && box.querySelector(".copied");
    if (place) {
      place.textContent = text;
    }
  }
  function show(root) {
    root.querySelectorAll("[data-copy]").forEach(function (b) { if (navigator.clipboard) { b.hidden = false; } });
    root.querySelectorAll("[data-native-share]").forEach(function (b) { if (navigator.share) { b.hidden = false; } });
  }
  document.addEventListener("click", function (event) {
    var copy = event.target.closest("[data-copy]");
    if (copy) {
      var field = document.querySelector(copy.getAttribute("data-copy"));
      navigator.clipboard.writeText(field.value).then(function () { status(copy, copy.getAttribute("data-done") || "✓"); });
      count(copy);
      return;
    }
    var native = event.target.closest("[data-native-share]");
    if (native) {
      navigator.share({title: native.getAttribute("data-title"), url: native.getAttribute("data-url")}).catch(function () {});
      count(native);
    }
  });
  document.addEventListener("DOMContentLoaded", function () { show(document); });
  document.addEventListener("htmx:load", function (event) { show(event.detail.elt); });
  show(document);
})();
