/*
 * SocialDesk 社福台 — small progressive enhancements. Loaded with `defer`; no inline handlers
 * (CSP: script-src 'self'). Every page works without it.
 *
 * 1. Confirm before submitting: <form data-confirm="Delete this record?"> (or the attribute on
 *    the submit button that was pressed) asks window.confirm() first; "Cancel" stops the submit,
 *    including an htmx (hx-post) submit.
 *
 * 2. Copy to clipboard: <button type="button" hidden data-copy-target="new-token"
 *      data-copied-label="Copied" data-copy-failed-label="Could not copy…"
 *      data-copy-status="copy-status">Copy</button>
 *    data-copy-target is an element id (or a CSS selector); the button copies that element's
 *    value (input/textarea) or its text. Buttons carrying `hidden` are shown once this script
 *    runs, so no dead button appears without JavaScript. The optional data-copy-status names
 *    an aria-live element that receives the result message.
 */
(function () {
  "use strict";

  /* ------------------------------------------------------------ confirm */

  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement)) {
        return;
      }
      var submitter = event.submitter;
      var message = null;
      if (submitter && submitter.hasAttribute("data-confirm")) {
        message = submitter.getAttribute("data-confirm");
      } else if (form.hasAttribute("data-confirm")) {
        message = form.getAttribute("data-confirm");
      }
      if (message && !window.confirm(message)) {
        event.preventDefault();
        // Capture phase on document: stops htmx's own submit listener on the form as well.
        event.stopImmediatePropagation();
      }
    },
    true
  );

  /* --------------------------------------------------------------- copy */

  function findTarget(ref) {
    if (!ref) {
      return null;
    }
    var element = document.getElementById(ref.charAt(0) === "#" ? ref.slice(1) : ref);
    if (element) {
      return element;
    }
    try {
      return document.querySelector(ref);
    } catch (e) {
      return null;
    }
  }

  function textOf(element) {
    if ("value" in element && typeof element.value === "string" && element.tagName !== "BUTTON") {
      return element.value;
    }
    return (element.textContent || "").trim();
  }

  function fallbackCopy(text) {
    // navigator.clipboard needs a secure context (HTTPS or localhost); on-premises sites
    // reached over plain HTTP on the LAN use the older selection-based command.
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (e) {
      ok = false;
    }
    document.body.removeChild(area);
    return ok;
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(
        function () {
          return true;
        },
        function () {
          return fallbackCopy(text);
        }
      );
    }
    return Promise.resolve(fallbackCopy(text));
  }

  function report(button, ok) {
    var message = ok
      ? button.getAttribute("data-copied-label")
      : button.getAttribute("data-copy-failed-label");
    var status = findTarget(button.getAttribute("data-copy-status"));
    if (status && message) {
      status.textContent = message;
    }
    if (ok && message) {
      if (!button.hasAttribute("data-original-label")) {
        button.setAttribute("data-original-label", button.textContent);
      }
      button.textContent = message;
      window.clearTimeout(button._socialdeskTimer);
      button._socialdeskTimer = window.setTimeout(function () {
        button.textContent = button.getAttribute("data-original-label");
      }, 2500);
    }
    if (!ok) {
      var target = findTarget(button.getAttribute("data-copy-target"));
      if (target && window.getSelection && document.createRange) {
        // Select the text so that the user can copy it with the keyboard.
        var range = document.createRange();
        range.selectNodeContents(target);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
      }
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-copy-target]") : null;
    if (!button) {
      return;
    }
    var target = findTarget(button.getAttribute("data-copy-target"));
    if (!target) {
      return;
    }
    event.preventDefault();
    copyText(textOf(target)).then(function (ok) {
      report(button, ok);
    });
  });

  function revealCopyButtons(root) {
    var buttons = (root || document).querySelectorAll("[data-copy-target][hidden]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].removeAttribute("hidden");
    }
  }

  revealCopyButtons(document);
  // Content swapped in by htmx gets the same treatment.
  document.addEventListener("htmx:load", function (event) {
    revealCopyButtons(event.target);
  });
})();
