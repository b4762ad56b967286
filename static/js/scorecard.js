// Scorecards that survive venue wifi.
//
// Saving sends the form with fetch. If the connection is down, the submission is kept in
// this tablet's storage with its idempotency key (submission_key) and sent again when the
// connection returns; the server applies each key once, and refuses an edit based on an
// older revision (409), so nothing is lost or stored twice. Every page that loads
// this script also shows which scorecards are still waiting on the tablet.
const STORE = "pitchpanel.outbox.v1";

const readOutbox = () => {
  try {
    return JSON.parse(localStorage.getItem(STORE) || "[]");
  } catch (error) {
    return [];
  }
};
const writeOutbox = (items) => localStorage.setItem(STORE, JSON.stringify(items));
const newKey = () =>
  (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`.replace(".", "-"));

const form = document.querySelector("form[data-offline-scorecard]");
const pathOf = (element) => new URL(element.action, window.location.href).pathname;
const status = document.querySelector("[data-sync-status]");

const say = (text, kind) => {
  if (!status) return;
  status.textContent = text;
  status.className = `app-sync app-sync--${kind}`;
};

const markQueue = () => {
  const waiting = new Set(readOutbox().map((item) => item.url));
  document.querySelectorAll("[data-scorecard-url]").forEach((row) => {
    const flag = row.querySelector("[data-waiting]");
    if (flag) flag.hidden = !waiting.has(row.dataset.scorecardUrl);
  });
  const count = document.querySelector("[data-waiting-count]");
  if (count) {
    count.hidden = waiting.size === 0;
    const text = count.querySelector("[data-waiting-text]") || count;
    text.textContent = `${waiting.size} scorecard${waiting.size === 1 ? " is" : "s are"} saved on this tablet but not yet on the server. They will be sent when the connection returns: keep this page open.`;
  }
};

const send = async (item) => {
  const response = await fetch(item.url, {
    method: "POST",
    headers: { Accept: "application/json", "Content-Type": "application/x-www-form-urlencoded" },
    body: item.body,
    credentials: "same-origin",
  });
  let data = {};
  try {
    data = await response.json();
  } catch (error) {
    data = {};
  }
  return { status: response.status, data };
};

let syncing = false;
const sync = async () => {
  if (syncing) return;
  syncing = true;
  try {
    let items = readOutbox();
    while (items.length) {
      const item = items[0];
      let result;
      try {
        result = await send(item);
      } catch (error) {
        break; // still offline: try again later
      }
      if (result.status >= 500 && result.status !== 503) break;
      if (result.status === 503 || result.status === 429) break;
      items = readOutbox().filter((other) => other.key !== item.key);
      writeOutbox(items);
      if (form && pathOf(form) === item.url) {
        if (result.status === 200) {
          form.elements.base_revision.value = String(result.data.revision);
          say(`Saved at ${result.data.saved_at}`, "saved");
        } else {
          say(result.data.message || "This scorecard could not be saved: reload the page.", "error");
        }
      }
    }
  } finally {
    syncing = false;
    markQueue();
  }
};

if (form) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = new URLSearchParams(new FormData(form));
    const item = { url: pathOf(form), key: form.elements.submission_key.value, body: body.toString() };
    const queued = readOutbox().filter((other) => other.url === item.url);
    // A second edit made offline follows the first: it builds on the revision the first
    // will create once it is sent.
    if (queued.length) {
      const next = Number(form.elements.base_revision.value) + queued.length;
      body.set("base_revision", String(next));
      item.body = body.toString();
    }
    let result;
    try {
      if (queued.length) throw new Error("earlier edits are still waiting");
      result = await send(item);
    } catch (error) {
      writeOutbox([...readOutbox(), item]);
      form.elements.submission_key.value = newKey();
      say("Saved on this tablet only: waiting for the connection. Keep this page open or come back later; it will be sent automatically.", "waiting");
      markQueue();
      return;
    }
    if (result.status === 200) {
      form.elements.base_revision.value = String(result.data.revision);
      form.elements.submission_key.value = newKey();
      say(`Saved at ${result.data.saved_at}`, "saved");
      // Reload what the server now holds: progress, highlights and the button label.
      window.location.assign(pathOf(form));
      return;
    } else if (result.status === 503) {
      writeOutbox([...readOutbox(), item]);
      form.elements.submission_key.value = newKey();
      say("The server is busy: your scores are kept on this tablet and will be sent shortly.", "waiting");
    } else {
      // Validation errors, a stale revision or a closed phase: let the server show the page.
      form.removeAttribute("data-offline-scorecard");
      form.submit();
    }
    markQueue();
  });
}

window.addEventListener("online", sync);
setInterval(sync, 10000);
markQueue();
sync();
