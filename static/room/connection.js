// The Socket.IO connection, its indicator, and requests answered by an ack.

import { errorText, t } from "./text.js";

const ACK_TIMEOUT_MS = 8000;

/** Open (but do not yet connect) the socket under the app's path prefix. */
export function openSocket(scriptRoot) {
  return io({ path: `${scriptRoot}/socket.io`, autoConnect: false });
}

/** Keep the indicator element in step with the socket's life. */
export function watchConnection(socket, indicator, label) {
  function show(state) {
    indicator.dataset.state = state;
    label.textContent = t(state);
  }

  function lost() {
    show(socket.active && navigator.onLine !== false ? "reconnecting" : "offline");
  }

  socket.on("connect", () => show("connected"));
  socket.on("disconnect", lost);
  socket.on("connect_error", lost);
  socket.io.on("reconnect_attempt", () => show("reconnecting"));
  socket.io.on("reconnect_failed", () => show("offline"));
  window.addEventListener("offline", () => show("offline"));
  window.addEventListener("online", () => {
    if (!socket.connected) {
      show("reconnecting");
      socket.connect();
    }
  });
}

/**
 * Emit `event` and resolve with the server's ack; a missing answer or a
 * refusal resolves as `{ok: false, text}` with a message for people.
 */
export async function request(socket, event, payload = {}) {
  if (!socket.connected) {
    return { ok: false, text: t("not_connected") };
  }
  try {
    const ack = await socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, payload);
    return ack.ok ? ack : { ...ack, text: errorText(ack) };
  } catch (timedOut) {
    return { ok: false, text: t("timeout") };
  }
}
