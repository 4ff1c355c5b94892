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

  // The stored choice, else the one made on this page: the toggle works even
  // where storage is blocked, for as long as the page stays open.
  var chosen = storedTheme();

  function effectiveTheme() {
    return chosen || (systemDark.matches ? "dark" : "light");
  }

  function apply() {
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
    chosen = effectiveTheme() === "dark" ? "light" : "dark";
    try {
      localStorage.setItem(STORAGE_KEY, chosen);
    } catch (blocked) {
      // Without storage the choice still holds for this page.
    }
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
