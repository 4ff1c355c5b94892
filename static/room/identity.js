// Who this browser is: a client id shared by all rooms, a name and a role.

const KEYS = { clientId: "poker.client_id", name: "poker.name", role: "poker.role" };
const ID_ALPHABET =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const ID_LENGTH = 22;
const CLIENT_ID = /^[A-Za-z0-9_-]{8,64}$/;

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
