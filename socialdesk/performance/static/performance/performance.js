/*
 * SocialDesk — service performance pages (dashboards, improvement plans). Loaded with `defer`;
 * no inline handlers (CSP: script-src 'self'). Every page works without it.
 *
 * 1. htmx swaps only 2xx answers by default. A plan saved from an out-of-date page answers
 *    409 with the current values and the user's own text kept: swap that in too, so the conflict
 *    is shown where they were typing.
 * 2. After a fragment is swapped in, move focus to its error summary or its notice, so keyboard
 *    and screen-reader users hear what happened.
 */
(function () {
  "use strict";

  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr && event.detail.xhr.status;
    if (status === 409) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target || target.id === "dashboard-body") {
      return;
    }
    var body = document.getElementById("siap-body");
    if (!body) {
      return;
    }
    var focus =
      body.querySelector(".error-summary, [role='alert']") ||
      body.querySelector(".siap-notice .alert") ||
      body.querySelector("tr.editing input:not([type='hidden'])");
    if (focus) {
      if (!focus.hasAttribute("tabindex") && !/^(INPUT|TEXTAREA|SELECT)$/.test(focus.tagName)) {
        focus.setAttribute("tabindex", "-1");
      }
      focus.focus();
    }
  });
})();
