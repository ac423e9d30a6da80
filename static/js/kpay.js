/* KPay: the only script the core needs. Pages work without it; with it, htmx requests carry
   the CSRF token in a header (never in a URL), read from the layout's meta tag. */
document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) {
    event.detail.headers["X-CSRFToken"] = meta.content;
  }
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
