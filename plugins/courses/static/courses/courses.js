/* Courses: a video or audio lesson marks itself complete at 90 % watched, with the same POST the
   "Mark as complete" button makes (the button stays the way without JavaScript). */
(function () {
  function watch(player) {
    var form = document.getElementById(player.dataset.completeForm);
    var sent = false;
    if (!form) {
      return;
    }
    player.addEventListener("timeupdate", function () {
      if (sent || !player.duration || player.currentTime / player.duration < 0.9) {
        return;
      }
      sent = true;
      var meta = document.querySelector('meta[name="csrf-token"]');
      fetch(form.action, {
        method: "POST", body: new FormData(form), credentials: "same-origin",
        headers: { "HX-Request": "true", "X-CSRFToken": meta ? meta.content : "" }
      }).then(function (response) {
        return response.ok ? response.text() : null;
      }).then(function (html) {
        var box = document.getElementById("lesson-complete");
        if (html && box) {
          box.outerHTML = html;
        }
      });
    });
  }
  function scan() {
    document.querySelectorAll("[data-complete-form]").forEach(function (player) {
      if (!player.dataset.watched) {
        player.dataset.watched = "1";
        watch(player);
      }
    });
  }
  document.addEventListener("DOMContentLoaded", scan);
  document.addEventListener("htmx:load", scan);
})();

/* Studio: chapters and lessons can also be dragged to a new place; the drop posts the place
   to the same route the ↑/↓ buttons use, then reloads the outline. */
(function () {
  function items(list) {
    return Array.prototype.filter.call(list.children, function (child) {
      return child.hasAttribute("data-move-url");
    });
  }
  function sortable(list) {
    var dragged = null;
    items(list).forEach(function (item) {
      item.draggable = true;
      item.addEventListener("dragstart", function (event) {
        dragged = item;
        event.stopPropagation();
        event.dataTransfer.effectAllowed = "move";
      });
      item.addEventListener("dragover", function (event) {
        if (dragged && dragged !== item && dragged.parentNode === item.parentNode) {
          event.preventDefault();
          event.stopPropagation();
        }
      });
      item.addEventListener("drop", function (event) {
        if (!dragged || dragged === item || dragged.parentNode !== item.parentNode) {
          return;
        }
        event.preventDefault();
        event.stopPropagation();
        var body = new FormData();
        var meta = document.querySelector('meta[name="csrf-token"]');
        body.append("to", items(list).indexOf(item));
        fetch(dragged.dataset.moveUrl, {
          method: "POST", body: body, credentials: "same-origin",
          headers: { "X-CSRFToken": meta ? meta.content : "" }
        }).then(function () {
          window.location.reload();
        });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-sortable]").forEach(sortable);
  });
})();
