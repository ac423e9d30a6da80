// Counts a page view (analytics plugin): the path and the referrer, nothing else, and not at all
// when the browser sends Do Not Track or Global Privacy Control. See docs/analytics.md.
(function () {
  "use strict";
  if (navigator.doNotTrack === "1" || window.doNotTrack === "1" || navigator.globalPrivacyControl === true) {
    return;
  }
  var meta = document.querySelector('meta[name="csrf-token"]');
  var endpoint = document.currentScript && document.currentScript.src.replace(/static\/analytics\/analytics\.js.*$/, "hit");
  function send(referrer) {
    if (!meta || !endpoint) { return; }
    var body = new FormData();
    body.append("csrf_token", meta.content);
    body.append("p", location.pathname + location.search);
    body.append("r", referrer || "");
    if (navigator.sendBeacon) {
      navigator.sendBeacon(endpoint, body);
    } else {
      fetch(endpoint, {method: "POST", body: body, credentials: "same-origin", keepalive: true});
    }
  }
  send(document.referrer);
  var last = location.href;
  document.addEventListener("htmx:pushedIntoHistory", function () {
    send(last);
    last = location.href;
  });
})();
