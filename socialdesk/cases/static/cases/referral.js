/*
 * Case pages: show a block only while a checkbox is ticked, e.g. the reason for referring
 * without consent: <div data-show-when-checked="id_without_consent">…</div>.
 * Without JavaScript the block is always shown (and the server checks it anyway).
 */
(function () {
  "use strict";

  function sync(block) {
    var box = document.getElementById(block.getAttribute("data-show-when-checked"));
    if (!box) {
      return;
    }
    // Keep a block with an error message visible, so the error is never hidden.
    var hasError = block.querySelector(".errorlist") !== null;
    block.hidden = !box.checked && !hasError;
  }

  function init(root) {
    var blocks = (root || document).querySelectorAll("[data-show-when-checked]");
    for (var i = 0; i < blocks.length; i++) {
      sync(blocks[i]);
    }
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLInputElement) || target.type !== "checkbox") {
      return;
    }
    var blocks = document.querySelectorAll('[data-show-when-checked="' + target.id + '"]');
    for (var i = 0; i < blocks.length; i++) {
      sync(blocks[i]);
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      init(document);
    });
  } else {
    init(document);
  }
})();
