// Who this browser is: a client id shared by all rooms, a name and a role.

const KEYS = { clientId: "poker.client_id", name: "poker.name", role: "poker.role" };
const ID_ALPHABET =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const ID_LENGTH = 22;
const CLIENT_ID = /^[A-Za-z0-9_-]{8,64}$/;
// The server keeps a name of 1 to 40 characters (code points, not UTF-16
// units) after NFC, without control and bidi characters, trimmed.
const NAME_MAX = 40;
const UNSEEN = /[\p{Cc}\p{Cs}\u202a-\u202e\u2066-\u2069]/gu;

// A page without storage (private mode, blocked cookies) keeps the values in memory.
const memory = new Map();

/** Return the stored value for `key`, or null. */
export function read(key) {
  try {
    return localStorage.getItem(key);
  } catch (blocked) {
    return memory.get(key) ?? null;
  }
}

/** Store `value` under `key` for this browser. */
export function write(key, value) {
  memory.set(key, value);
  try {
    localStorage.setItem(key, value);
  } catch (blocked) {
    // The in-memory copy above is enough for this page.
  }
}

function newClientId() {
  // 64 symbols, so each random byte maps onto the alphabet without bias.
  const bytes = crypto.getRandomValues(new Uint8Array(ID_LENGTH));
  return Array.from(bytes, (byte) => ID_ALPHABET[byte % 64]).join("");
}

export function clientId() {
  let id = read(KEYS.clientId);
  if (!id || !CLIENT_ID.test(id)) {
    id = newClientId();
    write(KEYS.clientId, id);
  }
  return id;
}

/** Return `raw` as the server will keep it, or null if the server refuses it. */
export function cleanName(raw) {
  const name = raw.normalize("NFC").replace(UNSEEN, "").trim();
  const length = [...name].length;
  return length >= 1 && length <= NAME_MAX ? name : null;
}

export function savedName() {
  return (read(KEYS.name) || "").trim();
}

export function savedRole() {
  return read(KEYS.role) === "observer" ? "observer" : "voter";
}

export function remember(name, role) {
  write(KEYS.name, name);
  write(KEYS.role, role);
}
