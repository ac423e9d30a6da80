/* KPay: the only script the core needs. Pages work without it; with it, htmx requests carry
   the CSRF token in a header (never in a URL), read from the layout's meta tag. */
document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) {
    event.detail.headers["X-CSRFToken"] = meta.content;
  }
});

/* A boosted page may need stylesheets and scripts (a plugin's assets) that the page it
   replaced did not have: add those its <head> names that are missing. htmx swaps only the
   body; an added script starts once loaded (plugins' scripts also run when added late). */
document.addEventListener("htmx:beforeSwap", function (event) {
  if (!event.detail.boosted || typeof event.detail.serverResponse !== "string") {
    return;
  }
  var head = new DOMParser().parseFromString(event.detail.serverResponse, "text/html").head;
  head.querySelectorAll('link[rel="stylesheet"][href], script[src]').forEach(function (asset) {
    var url = asset.getAttribute(asset.tagName === "LINK" ? "href" : "src");
    if (document.head.querySelector('[href="' + url + '"], [src="' + url + '"]')) {
      return;
    }
    var added = document.createElement(asset.tagName);
    if (asset.tagName === "LINK") {
      added.rel = "stylesheet";
      added.href = url;
    } else {
      added.src = url;
      added.async = false;  /* in the order the page lists them (hls.js before its player) */
    }
    document.head.appendChild(added);
  });
});

/* A form with data-confirm asks before it is sent (deleting, leaving, hiding); without
   scripts it is sent at once, and the page after it says what happened. */
document.addEventListener("submit", function (event) {
  var form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.getAttribute("data-confirm"))) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
