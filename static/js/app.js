// alertdesk: the little JavaScript the console needs beyond htmx. Loaded as a file
// because the Content-Security-Policy forbids inline script.
(function () {
  "use strict";
  // Copy buttons: <button data-copy="#selector">.
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("[data-copy]");
    if (!btn) return;
    var el = document.querySelector(btn.getAttribute("data-copy"));
    if (!el) return;
    var text = el.value !== undefined ? el.value : el.textContent;
    var done = function () { btn.textContent = "Copied"; setTimeout(function () { btn.textContent = "Copy"; }, 1500); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { el.select && el.select(); });
    } else {
      if (el.select) { el.select(); document.execCommand("copy"); }
      done();
    }
  });
  // Confirm dangerous actions: <form data-confirm="Delete this robot?">.
  document.addEventListener("submit", function (ev) {
    var f = ev.target;
    var msg = f.getAttribute && f.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { ev.preventDefault(); ev.stopImmediatePropagation(); }
  }, true);
  document.addEventListener("htmx:confirm", function (ev) {
    var f = ev.target.closest && ev.target.closest("[data-confirm]");
    if (f && ev.detail && ev.detail.elt === f && !window.confirm(f.getAttribute("data-confirm"))) ev.preventDefault();
  });
})();
