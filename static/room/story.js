// The story panel: title, reference, description, link and the round number.

import { t } from "./text.js";

/** Look up the story panel's nodes once. */
export function storyNodes() {
  const byId = (id) => document.getElementById(id);
  return {
    label: byId("story-label"),
    title: byId("story-title"),
    round: byId("round-number"),
    description: byId("story-description"),
    linkLine: byId("story-link-line"),
    link: byId("story-link"),
  };
}

/** Show the snapshot's story, or say that there is none yet. */
export function renderStory(nodes, snapshot) {
  const story = snapshot.story;
  if (!nodes.labelText) {
    nodes.labelText = nodes.label.textContent;
  }
  nodes.label.textContent = story?.reference
    ? `${nodes.labelText} · ${story.reference}`
    : nodes.labelText;
  nodes.title.textContent = story ? story.title : t("no_story");
  nodes.round.textContent = t("round", { number: snapshot.round.number });

  nodes.description.textContent = story?.description || "";
  nodes.description.hidden = !story?.description;
  // The server passes only http and https links.
  nodes.linkLine.hidden = !story?.link;
  if (story?.link) {
    nodes.link.href = story.link;
  }
}
