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
  if (document.readyState !== "loading") {
    scan();  /* added to a boosted page after it was swapped in */
  }
})();

/* Courses: a lesson's video plays its signed HLS playlist with hls.js where the browser has
   Media Source Extensions, natively on Safari and iOS, else the uploaded file the page names
   (which is also what plays without JavaScript). Video and audio resume where the member
   stopped, remembered in this browser. */
(function () {
  function stream(video) {
    var playlist = video.dataset.hls;
    var source = video.getAttribute("src");
    if (!playlist) {
      return;
    }
    if (window.Hls && window.Hls.isSupported()) {
      var hls = new window.Hls({ enableWorker: false });
      hls.on(window.Hls.Events.ERROR, function (event, data) {
        if (data.fatal) {
          hls.destroy();
          video.src = source;
        }
      });
      hls.loadSource(playlist);
      hls.attachMedia(video);
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = playlist;
    }
  }
  function remember(media) {
    var key = "kpay-resume-" + media.dataset.resume;
    var saved = 0;
    function store(value) {
      try {
        if (value === null) {
          window.localStorage.removeItem(key);
        } else {
          window.localStorage.setItem(key, String(value));
        }
      } catch (error) { /* storage refused (private mode): no resuming */ }
    }
    media.addEventListener("loadedmetadata", function () {
      var at = 0;
      try {
        at = parseFloat(window.localStorage.getItem(key) || "0");
      } catch (error) { /* as above */ }
      if (at > 3 && (!media.duration || at < media.duration - 1)) {
        media.currentTime = at;
      }
    }, { once: true });
    media.addEventListener("timeupdate", function () {
      if (Math.abs(media.currentTime - saved) >= 5) {
        saved = media.currentTime;
        store(Math.floor(saved));
      }
    });
    media.addEventListener("ended", function () {
      store(null);
    });
  }
  function scan() {
    document.querySelectorAll("[data-resume]").forEach(function (media) {
      if (!media.dataset.playing) {
        media.dataset.playing = "1";
        remember(media);
        stream(media);
      }
    });
  }
  document.addEventListener("DOMContentLoaded", scan);
  document.addEventListener("htmx:load", scan);
  if (document.readyState !== "loading") {
    scan();  /* added to a boosted page after it was swapped in */
  }
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
