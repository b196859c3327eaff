// The pickup board: orders being prepared, orders ready, and failed ones apart.
// Fills itself from GET /orders, then follows GET /events (every change, as it happens).
"use strict";

const PREPARING = new Set(["PENDING", "VALIDATED", "RESERVED", "PAID"]);
const READY = "COMPLETED";
const MAX_READY = 12;
const MAX_FAILED = 6;

const orders = new Map(); // order id -> {order_id, ref, status, reason, version, seen}
let seen = 0; // when an order last changed, in arrival order (for "newest first")

function apply(order) {
  const known = orders.get(order.order_id);
  if (known && known.version >= order.version) return false; // old news
  orders.set(order.order_id, { ...order, seen: ++seen });
  return true;
}

function item(order, withReason) {
  const li = document.createElement("li");
  li.dataset.orderId = order.order_id;
  li.dataset.status = order.status;
  const ref = document.createElement("span");
  ref.className = "ref";
  ref.textContent = order.ref;
  li.append(ref);
  if (withReason) {
    const reason = document.createElement("span");
    reason.className = "reason";
    reason.textContent = order.reason || order.status;
    li.append(reason);
  }
  return li;
}

function render() {
  const all = [...orders.values()];
  const preparing = all.filter((o) => PREPARING.has(o.status)).sort((a, b) => a.seen - b.seen);
  const newest = (a, b) => b.seen - a.seen;
  const ready = all.filter((o) => o.status === READY).sort(newest).slice(0, MAX_READY);
  const failed = all
    .filter((o) => !PREPARING.has(o.status) && o.status !== READY)
    .sort(newest)
    .slice(0, MAX_FAILED);
  document.getElementById("preparing").replaceChildren(...preparing.map((o) => item(o, false)));
  document.getElementById("ready").replaceChildren(...ready.map((o) => item(o, false)));
  document.getElementById("failed").replaceChildren(...failed.map((o) => item(o, true)));
}

// With authentication on, open the board as /board#token=<staff token>: the fragment never
// leaves the browser; the token goes in a header, and in the query for EventSource (which
// cannot send headers).
const TOKEN = new URLSearchParams(location.hash.slice(1)).get("token");
const AUTH = TOKEN ? { headers: { Authorization: `Bearer ${TOKEN}` } } : {};
const EVENTS_URL = TOKEN ? `/events?access_token=${encodeURIComponent(TOKEN)}` : "/events";

async function load() {
  const response = await fetch("/orders?limit=100", AUTH);
  if (!response.ok) return;
  const page = await response.json();
  // The page is newest first: apply oldest first, so "seen" keeps their order.
  page.orders.reverse().forEach(apply);
  render();
}

function connect() {
  const status = document.getElementById("connection");
  const events = new EventSource(EVENTS_URL);
  // Once an event carried an id, EventSource reconnects with it (Last-Event-ID) and the
  // server sends what was missed, or a "reset" when it no longer can. Before that, a
  // reconnect must read the list again: changes may have been missed meanwhile.
  let resumable = false;
  events.onopen = () => {
    status.className = "online";
    status.textContent = "live";
    if (!resumable) load();
  };
  events.onerror = () => {
    status.className = "offline";
    status.textContent = "reconnecting";
  };
  events.addEventListener("status", (event) => {
    resumable = event.lastEventId !== "";
    if (apply(JSON.parse(event.data))) render();
  });
  events.addEventListener("reset", (event) => {
    resumable = event.lastEventId !== "";
    load();
  });
}

connect();
