// alertdesk: the little JavaScript the console needs beyond htmx. Loaded as a file
// because the Content-Security-Policy forbids inline script.
(function () {
  "use strict";
  // The console shows times in the reader's zone: tell it the browser's (a signed-in
  // user's own setting on My account wins).
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && document.cookie.indexOf("alertdesk_tz=" + zone) < 0) {
      document.cookie = "alertdesk_tz=" + zone + "; path=/; max-age=31536000; samesite=lax";
    }
  } catch (e) { /* no Intl: times stay in UTC */ }
  // Copy buttons: <button data-copy="#selector">.
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("[data-copy]");
    if (!btn) return;
    var el = document.querySelector(btn.getAttribute("data-copy"));
    if (!el) return;
    var text = el.value !== undefined ? el.value : el.textContent;
    // The button says it worked in the page's language (data-copied), then what it said.
    var label = btn.textContent;
    var done = function () {
      btn.textContent = btn.getAttribute("data-copied") || "✓";
      setTimeout(function () { btn.textContent = label; }, 1500);
    };
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
  // Bulk forms ask only before deleting: <form data-confirm-delete="Delete the ticked robots?">.
  document.addEventListener("submit", function (ev) {
    var f = ev.target, msg = f.getAttribute && f.getAttribute("data-confirm-delete");
    if (msg && ev.submitter && ev.submitter.value === "delete" && !window.confirm(msg)) { ev.preventDefault(); ev.stopImmediatePropagation(); }
  }, true);
  document.addEventListener("htmx:confirm", function (ev) {
    var f = ev.target.closest && ev.target.closest("[data-confirm]");
    if (f && ev.detail && ev.detail.elt === f && !window.confirm(f.getAttribute("data-confirm"))) ev.preventDefault();
  });
  // A collapsed section that holds an error opens, and a link of the error summary opens
  // the section its field is in before jumping there.
  function openErrors(root) {
    root.querySelectorAll("details .has-error, details [aria-invalid=true]").forEach(function (el) {
      for (var d = el.closest("details"); d; d = d.parentElement && d.parentElement.closest("details")) d.open = true;
    });
  }
  document.addEventListener("DOMContentLoaded", function () { openErrors(document); });
  document.addEventListener("htmx:afterSwap", function (ev) { openErrors(ev.target); });
  document.addEventListener("click", function (ev) {
    var a = ev.target.closest && ev.target.closest(".error-summary a[href^='#']");
    if (!a) return;
    // The field itself when it has one input; else the error message next to the rows.
    var el = document.getElementById(a.getAttribute("data-field") || "") || document.getElementById(a.getAttribute("href").slice(1));
    if (!el) return;
    for (var d = el.closest("details"); d; d = d.parentElement && d.parentElement.closest("details")) d.open = true;
    ev.preventDefault();
    el.scrollIntoView({ block: "center" });
    el.focus();
  });
  // Unsaved changes: a form marked data-warn-unsaved that was edited (typed into, or changed
  // in place by htmx, like a group's members) shows a note and the browser asks before the
  // page is left; saving clears it.
  function markDirty(el) {
    var f = el && el.closest && el.closest("form[data-warn-unsaved]");
    if (f) f.setAttribute("data-dirty", "1");
  }
  document.addEventListener("input", function (ev) { markDirty(ev.target); });
  document.addEventListener("change", function (ev) { markDirty(ev.target); });
  document.addEventListener("htmx:afterSwap", function (ev) {
    if (ev.target.tagName !== "FORM") markDirty(ev.target);
  });
  document.addEventListener("submit", function (ev) {
    if (ev.target.removeAttribute) ev.target.removeAttribute("data-dirty");
  }, true);
  window.addEventListener("beforeunload", function (ev) {
    if (document.querySelector("form[data-warn-unsaved][data-dirty]")) { ev.preventDefault(); ev.returnValue = ""; }
  });
})();
