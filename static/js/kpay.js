/* KPay: the only script the core needs. Pages work without it; with it, htmx requests carry
   the CSRF token in a header (never in a URL), read from the layout's meta tag. */
document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) {
    event.detail.headers["X-CSRFToken"] = meta.content;
  }
});
