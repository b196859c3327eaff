// The operator's dashboard: polls /dashboard.json and draws tables and SVG sparklines.
// No build step, no library, nothing from the internet.
"use strict";

const POLL_MS = 2000;
const SVG = "http://www.w3.org/2000/svg";

// A small line plot of `values` (oldest first), scaled to its own maximum.
function sparkline(values, width, height) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.classList.add("sparkline");
  if (values.length === 0) return svg;
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  const points = values.map((v, i) => [i * step, height - 1 - (v / max) * (height - 2)]);
  const line = points.map(([x, y], i) => `${i ? "L" : "M"}${x.toFixed(1)},${y.toFixed(1)}`).join("");
  const area = document.createElementNS(SVG, "path");
  area.setAttribute("class", "area");
  area.setAttribute("d", `${line}L${points[points.length - 1][0].toFixed(1)},${height}L0,${height}Z`);
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("class", "line");
  path.setAttribute("d", line);
  const title = document.createElementNS(SVG, "title");
  title.textContent = `max ${max}, now ${values[values.length - 1]}`;
  svg.append(area, path, title);
  return svg;
}

function cell(text, className) {
  const td = document.createElement("td");
  if (className) td.className = className;
  td.textContent = text === null || text === undefined ? "–" : String(text);
  return td;
}

function sparkCell(values, width = 160, height = 20) {
  const td = document.createElement("td");
  const span = document.createElement("span");
  span.className = "spark";
  span.append(sparkline(values, width, height));
  td.append(span);
  return td;
}

function fill(tbody, rows) {
  tbody.replaceChildren(...rows);
}

function renderStages(stages) {
  const body = document.querySelector("#stages tbody");
  if (!stages) return fill(body, []);
  fill(body, stages.items.map((s) => {
    const tr = document.createElement("tr");
    tr.dataset.stage = s.stage;
    tr.append(cell(s.stage), cell(s.waiting, "num"), cell(s.per_second.toFixed(2), "num"),
      sparkCell(s.series));
    return tr;
  }));
}

function renderLag(kafka) {
  const lag = kafka.lag;
  document.getElementById("group").textContent = `group ${kafka.group}`;
  document.getElementById("lag-total").textContent = lag.total ?? "–";
  document.getElementById("lag-spark").replaceChildren(sparkline(lag.series, 220, 28));
  fill(document.querySelector("#lag tbody"), lag.partitions.map((p) => {
    const tr = document.createElement("tr");
    tr.dataset.topic = p.topic;
    tr.dataset.partition = p.partition;
    tr.append(cell(p.topic), cell(p.partition, "num"), cell(p.owners.join(", ") || "none"),
      cell(p.committed, "num"), cell(p.end, "num"), cell(p.lag, p.lag > 0 ? "num lagging" : "num"),
      sparkCell(p.series, 120, 16));
    return tr;
  }));
}

function renderDeadLetters(dead) {
  document.getElementById("dlq-topic").textContent = dead.topic;
  document.getElementById("dlq-depth").textContent = dead.depth ?? "–";
  document.getElementById("dlq-spark").replaceChildren(sparkline(dead.series, 220, 28));
}

function renderWorkers(kafka) {
  document.getElementById("group-state").textContent = kafka.state ? `group ${kafka.state}` : "";
  fill(document.getElementById("workers"), kafka.workers.map((w) => {
    const li = document.createElement("li");
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = `${w.client_id} `;
    const where = document.createElement("span");
    where.className = "muted";
    where.textContent = `${w.host}  `;
    const parts = document.createElement("span");
    parts.className = "parts";
    const owned = w.assigned.map((a) => `${a.topic} [${a.partitions.join(",")}]`);
    if (w.changelog_partitions) owned.push(`+${w.changelog_partitions} table changelog partitions`);
    parts.textContent = owned.join("  ") || "no partitions";
    li.append(name, where, parts);
    return li;
  }));
}

// The brokers that are up, and each partition's leader and in-sync replicas.
function renderCluster(cluster) {
  const body = document.querySelector("#replicas tbody");
  const brokers = document.getElementById("brokers");
  if (!cluster) {
    document.getElementById("cluster-summary").textContent = "metadata not read";
    return fill(body, []), fill(brokers, []);
  }
  document.getElementById("cluster-summary").textContent =
    `${cluster.brokers.length} up, ${cluster.offline} partitions offline`;
  document.getElementById("under-replicated").textContent = cluster.under_replicated;
  fill(brokers, cluster.brokers.map((b) => {
    const li = document.createElement("li");
    li.dataset.broker = b.id;
    li.textContent = `broker ${b.id}  ${b.address}  leads ${b.leads} partitions`;
    return li;
  }));
  fill(body, cluster.partitions.map((p) => {
    const tr = document.createElement("tr");
    tr.dataset.topic = p.topic;
    tr.dataset.partition = p.partition;
    const short = p.under_replicated || p.leader === null;
    tr.append(cell(p.topic), cell(p.partition, "num"), cell(p.leader ?? "none", "num"),
      cell(`${p.isr.length}/${p.replicas.length}`, short ? "num lagging" : "num"),
      cell(p.replicas.join(","), "mono"));
    return tr;
  }));
}

function renderOverdue(overdue) {
  const body = document.querySelector("#overdue tbody");
  if (!overdue) return fill(body, []);
  document.getElementById("deadline").textContent = `older than ${overdue.deadline_s}s`;
  document.getElementById("overdue-count").textContent = overdue.count + (overdue.more ? "+" : "");
  fill(body, overdue.oldest.map((o) => {
    const tr = document.createElement("tr");
    tr.append(cell(o.ref, "mono"), cell(o.order_id, "mono"), cell(o.status),
      cell(new Date(o.since).toLocaleTimeString()), cell(`${Math.round(o.waiting_s)}s`, "num"));
    return tr;
  }));
}

function renderHealth(snap) {
  const kafka = document.getElementById("kafka");
  kafka.className = `pill ${snap.kafka.available ? "ok" : "down"}`;
  kafka.textContent = snap.kafka.available ? "Kafka" : "Kafka unavailable";
  const store = document.getElementById("store");
  store.className = `pill ${snap.store.available ? "ok" : "down"}`;
  store.textContent = snap.store.available ? "Redis" : "Redis unavailable";
  const problems = [];
  if (!snap.kafka.available) {
    const since = snap.kafka.sampled_at ? ` (figures from ${new Date(snap.kafka.sampled_at).toLocaleTimeString()})` : "";
    problems.push(`Kafka: ${snap.kafka.error}${since}`);
  }
  if (!snap.store.available) problems.push(`status table: ${snap.store.error}`);
  const box = document.getElementById("problems");
  box.hidden = problems.length === 0;
  box.textContent = problems.join(" · ");
  document.getElementById("updated").textContent = `updated ${new Date(snap.generated_at).toLocaleTimeString()}`;
}

function render(snap) {
  renderHealth(snap);
  renderStages(snap.stages);
  renderLag(snap.kafka);
  renderDeadLetters(snap.kafka.dead_letters);
  renderWorkers(snap.kafka);
  renderCluster(snap.kafka.cluster);
  renderOverdue(snap.overdue);
  document.body.dataset.loaded = "true";
}

// With authentication on, open /dashboard#token=<staff token> (the fragment stays in the browser).
const TOKEN = new URLSearchParams(location.hash.slice(1)).get("token");
const AUTH_HEADERS = TOKEN ? { Authorization: `Bearer ${TOKEN}` } : {};

async function poll() {
  try {
    const response = await fetch("/dashboard.json", { cache: "no-store", headers: AUTH_HEADERS });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    render(await response.json());
  } catch (error) {
    document.getElementById("updated").textContent = `status API unreachable: ${error.message}`;
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

poll();
