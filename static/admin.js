// Admin pages: confirmations, the custom deck field and a room's live participants.
(function () {
  "use strict";

  // A form with data-confirm is sent only after the person agrees.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });

  // A deck choice shows its field for custom cards only when "custom" is chosen.
  document.querySelectorAll("select[data-cards-field]").forEach(function (select) {
    var field = document.getElementById(select.dataset.cardsField);
    var input = field.querySelector("input");

    function update() {
      var custom = select.value === "custom";
      field.hidden = !custom;
      input.required = custom;
    }

    select.addEventListener("change", update);
    update();
  });

  var live = document.getElementById("live-room");
  if (!live || typeof io !== "function") {
    return;
  }

  var list = document.getElementById("participant-list");
  var empty = document.getElementById("no-participants");
  var template = document.getElementById("person-template");
  var labels = JSON.parse(document.getElementById("person-labels").textContent);
  var liveState = document.getElementById("live-state");
  var roundStatus = document.getElementById("round-status");
  var storyChanged = document.getElementById("story-changed");
  var storyItems = document.querySelectorAll("#story-list [data-story-id]");
  var shownStory = live.dataset.storyId;
  var latestVersion = -1;

  function showConnection(connected) {
    liveState.hidden = false;
    liveState.dataset.state = connected ? "live" : "offline";
    liveState.textContent = connected ? "live" : "nicht verbunden";
  }

  // Same-name people are told apart as on the room page: "Anna", "Anna (2)".
  function displayNames(participants) {
    var seen = new Map();
    var names = new Map();
    var byId = participants.slice().sort(function (a, b) {
      return a.id - b.id;
    });
    byId.forEach(function (person) {
      var key = person.name.trim().toLocaleLowerCase();
      var count = (seen.get(key) || 0) + 1;
      seen.set(key, count);
      names.set(person.id, count > 1 ? person.name + " (" + count + ")" : person.name);
    });
    return names;
  }

  function personRow(person, name) {
    var item = template.content.firstElementChild.cloneNode(true);
    var online = item.querySelector('[data-field="online"]');
    var form = item.querySelector("form");

    item.dataset.participantId = String(person.id);
    item.querySelector('[data-field="name"]').textContent = name;
    online.dataset.online = String(person.online);
    online.textContent = person.online ? labels.online : labels.offline;
    item.querySelector('[data-field="role"]').textContent = labels[person.role];
    item.querySelector('[data-field="moderator"]').hidden = !person.moderator;
    item.querySelector('[data-field="voted"]').hidden = !person.voted;
    form.action = list.dataset.removeBase + person.id + "/remove";
    form.dataset.confirm = name + labels.confirm_remove;
    return item;
  }

  function roundText(state) {
    var prefix = "Runde " + state.round.number + " · ";
    if (state.round.revealed) {
      return prefix + "aufgedeckt";
    }
    // As in the room: a voter gone offline without a card is not waited for.
    var voters = state.participants.filter(function (person) {
      return person.role === "voter" && (person.online || person.voted);
    });
    var voted = voters.filter(function (person) {
      return person.voted;
    });
    return prefix + voted.length + " von " + voters.length + " haben abgestimmt";
  }

  // Draw the live parts of the page from one room state.
  function render(state) {
    if (state.version < latestVersion) {
      return;
    }
    latestVersion = state.version;
    var storyId = state.story ? String(state.story.id) : "";

    var names = displayNames(state.participants);
    list.replaceChildren.apply(
      list,
      state.participants.map(function (person) {
        return personRow(person, names.get(person.id));
      })
    );
    empty.hidden = state.participants.length > 0;
    storyItems.forEach(function (item) {
      var current = item.dataset.storyId === storyId;
      item.classList.toggle("is-current", current);
      item.querySelector("[data-current-badge]").hidden = !current;
    });
    storyChanged.hidden = storyId === shownStory;
    if (roundStatus && storyId === shownStory) {
      roundStatus.textContent = roundText(state);
    }
  }

  var socket = io({ path: live.dataset.scriptRoot + "/socket.io" });

  socket.on("connect", function () {
    socket.emit("admin_watch", { room: live.dataset.roomCode }, function (answer) {
      showConnection(answer.ok);
      if (answer.ok) {
        latestVersion = -1;
        render(answer.snapshot);
      }
    });
  });
  socket.on("disconnect", function () {
    showConnection(false);
  });
  socket.on("state", render);
  socket.on("removed", function () {
    showConnection(false);
    socket.disconnect();
  });
})();
