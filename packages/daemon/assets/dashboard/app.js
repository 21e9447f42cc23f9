// The dashboard's only script (served by mcd; the CSP allows no other). It does three things:
// sends the action forms to /dashboard/api with the session's CSRF token, follows the event
// stream over a WebSocket and re-renders the page's live regions, and signs out.

const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute("content") ?? "";
const notice = document.getElementById("notice");
const banner = document.getElementById("connection");

function say(text, isError) {
  if (!notice) return;
  notice.textContent = text;
  notice.classList.toggle("error", Boolean(isError));
}

async function call(method, path, body) {
  const headers = { accept: "application/json", "x-csrf-token": csrf };
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(path.startsWith("/v1/") ? `/dashboard/api${path}` : path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  const text = await response.text();
  let data = {};
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    data = { detail: text };
  }
  if (response.status === 401) {
    location.assign("/dashboard/login?ended=expired");
    throw new Error(data.detail ?? "signed out");
  }
  if (!response.ok) throw new Error(data.detail ?? `HTTP ${response.status}`);
  return data;
}

// Action forms: <form data-api="/v1/apps/web/stop" data-method="POST">; inputs become the JSON body
// (data-number ones as numbers); data-confirm names what must be typed first (destroy).
document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.api) return;
  event.preventDefault();
  const method = form.dataset.method ?? "POST";
  const body = {};
  for (const input of form.querySelectorAll("input[name]")) {
    if (input.name === "confirm") continue;
    body[input.name] = "number" in input.dataset ? Number(input.value) : input.value;
  }
  const confirmInput = form.querySelector('input[name="confirm"]');
  if (form.dataset.confirm !== undefined && confirmInput?.value !== form.dataset.confirm) {
    say(`Type ${form.dataset.confirm} to confirm.`, true);
    confirmInput?.focus();
    return;
  }
  const button = form.querySelector("button");
  if (button) button.disabled = true;
  say(`${button?.textContent ?? method}…`);
  try {
    const hasBody = method !== "GET" && method !== "DELETE";
    const result = await call(method, form.dataset.api, hasBody ? body : undefined);
    if (form.dataset.show) {
      const target = document.getElementById(form.dataset.show);
      if (target) target.textContent = describe(result);
      say("");
    } else {
      say(`${button?.textContent ?? method}: done.`);
    }
    if (form.dataset.after) location.assign(form.dataset.after);
    else void refresh();
  } catch (error) {
    say(error.message, true);
  } finally {
    if (button) button.disabled = false;
  }
});

function describe(result) {
  if (typeof result.ok === "boolean" && "entries" in result) {
    return result.ok
      ? `The chain holds: ${result.entries} entries verified.`
      : `The chain is broken at entry ${result.brokenAt}: ${result.reason}`;
  }
  return JSON.stringify(result);
}

document.getElementById("sign-out")?.addEventListener("click", async () => {
  try {
    await call("POST", "/dashboard/logout");
  } finally {
    location.assign("/dashboard/login?ended=signed-out");
  }
});

// Live regions ([data-live] with an id) are replaced by the same ones of a fresh render.
let refreshing = false;
let again = false;
async function refresh() {
  if (refreshing) {
    again = true;
    return;
  }
  refreshing = true;
  try {
    const response = await fetch(location.href, { credentials: "same-origin", headers: { accept: "text/html" } });
    if (response.redirected && new URL(response.url).pathname === "/dashboard/login") {
      location.assign(response.url);
      return;
    }
    if (!response.ok) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    for (const region of document.querySelectorAll("[data-live][id]")) {
      const next = fresh.getElementById(region.id);
      if (next && next.innerHTML !== region.innerHTML) region.replaceWith(document.importNode(next, true));
    }
    document.body.dataset.refreshed = String(Date.now());
  } finally {
    refreshing = false;
    if (again) {
      again = false;
      void refresh();
    }
  }
}

let timer;
function soon() {
  clearTimeout(timer);
  timer = setTimeout(refresh, 100);
}

// The log tail follows the app: new lines are appended as text (never parsed as HTML).
const MAX_LOG_LINES = 500;
function appendLog(entry) {
  const holder = document.getElementById("logs");
  if (!holder) return;
  let pre = holder.querySelector("pre.logs");
  if (!pre) {
    holder.textContent = "";
    pre = document.createElement("pre");
    pre.className = "logs";
    pre.tabIndex = 0;
    holder.append(pre);
  }
  const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
  const line = document.createElement("span");
  line.className = "log-line";
  const meta = document.createElement("span");
  meta.className = "muted";
  meta.textContent = `${String(entry.ts ?? "").slice(11, 19)} ${entry.instance ?? ""}`;
  line.append(meta, ` ${entry.line ?? ""}\n`);
  pre.append(line);
  while (pre.childElementCount > MAX_LOG_LINES) pre.firstElementChild?.remove();
  if (atBottom) pre.scrollTop = pre.scrollHeight;
}

async function followLogs(path) {
  for (;;) {
    try {
      const response = await fetch(`/dashboard/api${path}`, { credentials: "same-origin" });
      if (response.status === 401) return;
      if (response.ok && response.body) {
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          const lines = buffer.split("\n");
          buffer = lines.pop() ?? "";
          for (const text of lines) if (text.trim()) appendLog(JSON.parse(text));
        }
      }
    } catch {
      // mcd went away: the banner says so; try again shortly.
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}
const followPath = document.getElementById("logs")?.dataset.follow;
if (followPath) void followLogs(followPath);

let delay = 500;
let wasAway = false;
function connect() {
  if (!csrf) return;
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/dashboard/events`);
  ws.addEventListener("open", () => {
    delay = 500;
    document.body.dataset.live = "connected";
    if (banner) banner.hidden = true;
    // Whatever changed while we were away.
    if (wasAway) soon();
    wasAway = false;
  });
  ws.addEventListener("message", soon);
  ws.addEventListener("close", (event) => {
    if (event.code === 4401) {
      location.assign(`/dashboard/login?ended=${encodeURIComponent(event.reason || "expired")}`);
      return;
    }
    wasAway = true;
    document.body.dataset.live = "away";
    if (banner) {
      banner.hidden = false;
      banner.textContent = "Lost the connection to mcd — reconnecting…";
    }
    // A page fetch notices a session that ended meanwhile (it lands on the sign-in page).
    setTimeout(() => {
      refresh().catch(() => {});
      connect();
    }, delay);
    delay = Math.min(delay * 2, 5000);
  });
}
connect();
