// Tell the server the browser's time zone (the kpay_tz cookie), so lecture times are shown in it
// for visitors and members without a zone setting. Pages work without it: the site's zone is used.
(function () {
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (!zone || /[^A-Za-z0-9_+\-\/]/.test(zone)) return;
  var had = (document.cookie.match(/(?:^|; )kpay_tz=([^;]*)/) || [])[1];
  if (had === zone) return;
  document.cookie = "kpay_tz=" + zone + "; path=/; max-age=31536000; samesite=lax";
})();
