// Light or dark theme: the system setting unless the visitor chose one.
// Runs in <head> so the stored choice applies before the first paint.
(function () {
  "use strict";

  var STORAGE_KEY = "theme";
  var root = document.documentElement;
  var systemDark = window.matchMedia("(prefers-color-scheme: dark)");
  var toggle = null;

  function storedTheme() {
    try {
      var value = localStorage.getItem(STORAGE_KEY);
      return value === "light" || value === "dark" ? value : null;
    } catch (blocked) {
      return null;
    }
  }

  function effectiveTheme() {
    return storedTheme() || (systemDark.matches ? "dark" : "light");
  }

  function apply() {
    var chosen = storedTheme();
    if (chosen) {
      root.dataset.theme = chosen;
    } else {
      delete root.dataset.theme;
    }
    if (toggle) {
      toggle.setAttribute("aria-pressed", String(effectiveTheme() === "dark"));
    }
  }

  function toggleTheme() {
    var next = effectiveTheme() === "dark" ? "light" : "dark";
    try {
      localStorage.setItem(STORAGE_KEY, next);
    } catch (blocked) {
      // Without storage the choice still holds for this page.
    }
    root.dataset.theme = next;
    apply();
  }

  apply();
  systemDark.addEventListener("change", apply);
  document.addEventListener("DOMContentLoaded", function () {
    toggle = document.getElementById("theme-toggle");
    toggle.addEventListener("click", toggleTheme);
    apply();
  });
})();
