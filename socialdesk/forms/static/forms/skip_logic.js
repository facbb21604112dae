/*
 * SocialDesk forms — skip logic in the browser for forms built from a form definition
 * (socialdesk/forms/runtime.py, rendered by forms/includes/form_fields.html). No inline
 * scripts (CSP: script-src 'self'); load with <script src="…/forms/skip_logic.js" defer>.
 *
 * Markup it reads:
 *   <div data-skip-logic>                                 one form's questions
 *     <div data-form-field="key" data-show-if='{…}'>      a question with a skip condition
 *       <input data-field-key="key" data-field-type="integer" …>
 *
 * A question whose condition is false is hidden and its inputs disabled (so they are not sent).
 * The server applies the same conditions and is the authority: this only spares people
 * questions that do not apply. Without JavaScript every question shows, with a note saying
 * when to answer it. Conditions: {"field", "op", "value"}, {"any": […]}, {"all": […]};
 * operators eq, ne, in, not_in, gt, gte, lt, lte, truthy; a condition on an unanswered or
 * hidden question is false.
 */
(function () {
  "use strict";

  var NUMERIC = { integer: true, decimal: true, scale: true };

  function wrapperFor(scope, key) {
    return scope.querySelector('[data-form-field="' + key + '"]');
  }

  function rawAnswer(scope, key) {
    var wrapper = wrapperFor(scope, key);
    if (wrapper && wrapper.hidden) {
      return null;
    }
    var inputs = scope.querySelectorAll('[data-field-key="' + key + '"]');
    if (!inputs.length) {
      return null;
    }
    var type = inputs[0].getAttribute("data-field-type");
    var values = [];
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if (input.type === "radio" || input.type === "checkbox") {
        if (input.checked) {
          values.push(input.value);
        }
      } else if (input.value.trim() !== "") {
        values.push(input.value.trim());
      }
    }
    if (type === "multichoice") {
      return values.length ? { type: type, value: values } : null;
    }
    return values.length ? { type: type, value: values[0] } : null;
  }

  function typed(type, value) {
    if (NUMERIC[type]) {
      var number = Number(value);
      return isFinite(number) ? number : null;
    }
    if (type === "boolean") {
      if (value === true || value === false) {
        return value;
      }
      var word = String(value).toLowerCase();
      if (word === "yes" || word === "true" || word === "1" || word === "是") {
        return true;
      }
      if (word === "no" || word === "false" || word === "0" || word === "否") {
        return false;
      }
      return null;
    }
    return String(value);
  }

  function equals(answer, type, target) {
    var other = typed(type, target);
    return other !== null && answer === other;
  }

  function compare(answer, type, op, target) {
    if (!NUMERIC[type] && type !== "date") {
      return false;
    }
    var other = typed(type, target);
    if (other === null) {
      return false;
    }
    if (op === "gt") {
      return answer > other;
    }
    if (op === "gte") {
      return answer >= other;
    }
    if (op === "lt") {
      return answer < other;
    }
    return answer <= other;
  }

  function asList(value) {
    return Array.isArray(value) ? value : [value];
  }

  function evaluate(condition, scope) {
    if (!condition) {
      return true;
    }
    if (condition.any) {
      return condition.any.some(function (part) {
        return evaluate(part, scope);
      });
    }
    if (condition.all) {
      return condition.all.every(function (part) {
        return evaluate(part, scope);
      });
    }
    var raw = rawAnswer(scope, condition.field);
    if (raw === null) {
      return false;
    }
    var op = condition.op;
    var target = condition.value;
    if (raw.type === "multichoice") {
      var chosen = raw.value;
      if (op === "truthy") {
        return chosen.length > 0;
      }
      if (op === "eq" || op === "ne") {
        var found = chosen.indexOf(String(target)) !== -1;
        return op === "eq" ? found : !found;
      }
      if (op === "in" || op === "not_in") {
        var any = asList(target).some(function (item) {
          return chosen.indexOf(String(item)) !== -1;
        });
        return op === "in" ? any : !any;
      }
      return false;
    }
    var answer = typed(raw.type, raw.value);
    if (answer === null) {
      return false;
    }
    if (op === "truthy") {
      return answer !== false && answer !== 0 && answer !== "";
    }
    if (op === "eq") {
      return equals(answer, raw.type, target);
    }
    if (op === "ne") {
      return !equals(answer, raw.type, target);
    }
    if (op === "in" || op === "not_in") {
      var hit = asList(target).some(function (item) {
        return equals(answer, raw.type, item);
      });
      return op === "in" ? hit : !hit;
    }
    return compare(answer, raw.type, op, target);
  }

  function refresh(scope) {
    // Document order: a question's condition sees the questions before it already updated.
    var wrappers = scope.querySelectorAll("[data-form-field][data-show-if]");
    for (var i = 0; i < wrappers.length; i++) {
      var wrapper = wrappers[i];
      var condition = null;
      try {
        condition = JSON.parse(wrapper.getAttribute("data-show-if"));
      } catch (e) {
        condition = null;
      }
      var shown = evaluate(condition, scope);
      wrapper.hidden = !shown;
      var controls = wrapper.querySelectorAll("input, select, textarea");
      for (var j = 0; j < controls.length; j++) {
        controls[j].disabled = !shown;
      }
    }
  }

  function refreshWithin(root) {
    var scopes = root.querySelectorAll ? root.querySelectorAll("[data-skip-logic]") : [];
    for (var i = 0; i < scopes.length; i++) {
      refresh(scopes[i]);
    }
    if (root.matches && root.matches("[data-skip-logic]")) {
      refresh(root);
    }
  }

  function onChange(event) {
    var scope = event.target instanceof Element ? event.target.closest("[data-skip-logic]") : null;
    if (scope) {
      refresh(scope);
    }
  }

  document.addEventListener("input", onChange);
  document.addEventListener("change", onChange);
  document.addEventListener("htmx:load", function (event) {
    refreshWithin(event.target);
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      refreshWithin(document);
    });
  } else {
    refreshWithin(document);
  }
})();
