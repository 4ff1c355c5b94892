// Start page: preview the chosen deck and show the custom card field when needed.
(function () {
  "use strict";

  var select = document.getElementById("deck");
  var preview = document.getElementById("deck-preview");
  var customField = document.getElementById("custom-cards-field");
  var customInput = document.getElementById("cards");
  var decks = JSON.parse(document.getElementById("decks-data").textContent);

  function cardsOf(deckId) {
    if (deckId === "custom") {
      return customInput.value.split(/[\s,]+/).filter(Boolean);
    }
    var deck = decks.find(function (candidate) {
      return candidate.id === deckId;
    });
    return deck ? deck.cards : [];
  }

  function render() {
    var custom = select.value === "custom";
    customField.hidden = !custom;
    customInput.required = custom;

    preview.replaceChildren.apply(
      preview,
      cardsOf(select.value).map(function (card) {
        var item = document.createElement("li");
        item.className = "mini-card";
        item.textContent = card;
        return item;
      })
    );
  }

  select.addEventListener("change", render);
  customInput.addEventListener("input", render);
  render();
})();
