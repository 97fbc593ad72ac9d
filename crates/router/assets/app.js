// The market page: reads the router's public /v1 API every 3 seconds and draws it. Amounts
// arrive as hex wei strings and are shown exactly: BigInt arithmetic and decimal-string
// formatting, never a JS Number (the chart alone plots rounded values). Every text from the
// API goes in through textContent, never as HTML: bids carry strings providers chose.
"use strict";

const REFRESH_MS = 3000;
const WAD = 10n ** 18n;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

// ---- formatting -------------------------------------------------------------------------

/** A hex (or decimal) wei string as a BigInt. */
const big = (text) => BigInt(text);

/** A 1e18 fixed-point BigInt as a decimal string, trailing zeros trimmed ("12.5", "0"). */
function decimal(value) {
  const whole = value / WAD;
  const fraction = (value % WAD).toString().padStart(18, "0").replace(/0+$/, "");
  return fraction ? `${whole}.${fraction}` : `${whole}`;
}

/** Builds an element: `h("td", {class: "num"}, child, "text", ...)`. */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== undefined && v !== null) el.setAttribute(k, v);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** An amount: `<data class=… value="wei">MOR</data> MOR`, the wei exact in `value`. */
function mor(hexWei, cls) {
  const value = big(hexWei);
  return h("span", { class: "amount" },
    h("data", { class: cls || "mor", value: value.toString() }, decimal(value)),
    h("span", { class: "unit" }, " MOR"));
}

function short(hex) {
  return `${hex.slice(0, 8)}…${hex.slice(-6)}`;
}

/** A long hash or address: all of it in the DOM (and copied), shortened on screen. */
function hash(hex, cls) {
  return h("code", { class: `hash ${cls || ""}`.trim(), title: hex },
    h("span", { class: "full" }, hex), h("span", { class: "short", "aria-hidden": "true" }, short(hex)));
}

function utc(seconds) {
  return new Date(seconds * 1000).toISOString().slice(11, 19);
}

function date(day) {
  return new Date(day * 86400 * 1000).toISOString().slice(0, 10);
}

function pill(text, kind) {
  return h("span", { class: `pill ${kind}` }, text);
}

function replace(id, ...children) {
  const el = document.getElementById(id);
  el.replaceChildren(...children.filter((c) => c !== null && c !== undefined));
  return el;
}

// ---- reading the API --------------------------------------------------------------------

/** GETs a /v1 path; a refusal becomes an Error carrying the router's own message. */
async function get(path) {
  const response = await fetch(path, { headers: { accept: "application/json" }, cache: "no-store" });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const why = body && body.message ? `${body.code}: ${body.message}` : `HTTP ${response.status}`;
    throw new Error(`${path}: ${why}`);
  }
  return body;
}

// ---- sections -----------------------------------------------------------------------------

function header(market) {
  replace("router-address", hash(market.router, "router"));
  replace("chain-id", String(market.chain_id));
  replace("contract-address", hash(market.contract, "contract"));
}

function todayCards(market, today) {
  const c = today.contract;
  replace("today-day", `day ${today.day} · ${date(today.day)} UTC · inference block ${today.inference_block}`);
  replace("daily-cap", mor(c.daily_cap));
  replace("credited-today", mor(c.credited_today));
  replace("headroom", mor(c.headroom));
  replace("bootstrap-today", mor(c.bootstrap_today));
  replace("bootstrap-limit", big(c.bootstrap_limit) === 0n
    ? "outside the bootstrap window"
    : h("span", {}, "of ", mor(c.bootstrap_limit), " today"));
  replace("pending", mor(today.pending_wei));
  replace("reference-price", market.today
    ? h("span", {}, mor(market.today.price, "price"), h("span", { class: "unit" }, " per token"))
    : h("span", { class: "muted" }, "not computed yet today"));
}

function bids(market, providers) {
  const rows = new Map(); // model -> rows
  for (const p of providers.providers) {
    for (const bid of p.bids) {
      if (!rows.has(bid.model)) rows.set(bid.model, []);
      rows.get(bid.model).push({ p, bid });
    }
  }
  const models = [...rows.keys()].sort();
  if (models.length === 0) {
    replace("bids", h("p", { class: "muted" }, "No live bids."));
    return;
  }
  const tables = models.map((model) => {
    const body = h("tbody", {});
    const list = rows.get(model).sort((a, b) => {
      const [x, y] = [big(a.bid.price_per_token), big(b.bid.price_per_token)];
      return x < y ? -1 : x > y ? 1 : 0;
    });
    for (const { p, bid } of list) {
      const chain = p.chain;
      const backedOff = p.backoff && p.backoff.until > market.now;
      let status;
      if (bid.unselectable === null && !backedOff) {
        status = pill("live", "live");
      } else {
        const why = bid.unselectable
          || `backed off until ${utc(p.backoff.until)} UTC after ${p.backoff.failures} failure(s)`;
        status = h("span", {}, pill(backedOff ? "backed off" : "not selectable", "off"),
          h("span", { class: "why" }, why));
      }
      const score = p.score
        ? h("span", {}, `${p.score.passes} pass · ${p.score.fails} fail`)
        : h("span", { class: "muted" }, "no reports");
      body.append(h("tr", { "data-provider": p.provider, "data-model": model },
        h("th", { scope: "row" }, hash(p.provider, "provider")),
        h("td", { class: "num" }, mor(bid.price_per_token, "price")),
        h("td", { class: "num" }, chain ? mor(chain.stake, "stake") : h("span", { class: "muted" }, "unread")),
        h("td", { class: "num" }, chain
          ? h("data", { class: "multiplier", value: big(chain.multiplier).toString() }, `${decimal(big(chain.multiplier))}×`)
          : "—"),
        h("td", { class: "num" }, h("data", { class: "capacity", value: bid.capacity }, bid.capacity)),
        h("td", {}, score),
        h("td", {}, status)));
    }
    return h("div", { class: "model" },
      h("h3", {}, model),
      h("div", { class: "scroll" }, h("table", {},
        h("caption", { class: "visually-hidden" }, `Live bids for ${model}, cheapest first`),
        h("thead", {}, h("tr", {},
          h("th", { scope: "col" }, "Provider"),
          h("th", { scope: "col", class: "num" }, "Price per token"),
          h("th", { scope: "col", class: "num" }, "Stake"),
          h("th", { scope: "col", class: "num" }, "Multiplier"),
          h("th", { scope: "col", class: "num" }, "Capacity"),
          h("th", { scope: "col" }, "Score"),
          h("th", { scope: "col" }, "State"))),
        body)));
  });
  replace("bids", ...tables);
}

function earnings(providers) {
  const body = document.querySelector("#providers tbody");
  const rows = providers.providers.map((p) => {
    const earned = p.committed ? big(p.committed.earned) : 0n;
    const boot = p.committed ? big(p.committed.bootstrap) : 0n;
    const claimed = p.chain ? big(p.chain.claimed) : 0n;
    const unclaimed = earned + boot > claimed ? earned + boot - claimed : 0n;
    return h("tr", { "data-provider": p.provider },
      h("th", { scope: "row" }, hash(p.provider, "provider")),
      h("td", { class: "num" }, mor(`${earned}`, "earned")),
      h("td", { class: "num" }, mor(`${boot}`, "bootstrap")),
      h("td", { class: "num" }, mor(p.pending_wei, "pending")),
      h("td", { class: "num" }, mor(`${claimed}`, "claimed")),
      h("td", { class: "num" }, mor(`${unclaimed}`, "unclaimed")));
  });
  body.replaceChildren(...(rows.length ? rows
    : [h("tr", {}, h("td", { colspan: 6, class: "muted" }, "No provider bids yet."))]));
}

function epochs(recent) {
  const body = document.querySelector("#epochs tbody");
  const rows = recent.epochs.map((e) => h("tr", { "data-epoch": e.epoch },
    h("th", { scope: "row" }, String(e.epoch)),
    h("td", {}, pill(e.status, e.status === "committed" ? "live" : "wait")),
    h("td", {}, hash(e.root, "root")),
    h("td", { class: "num" }, mor(e.work, "work")),
    h("td", { class: "num" }, mor(e.bootstrap, "bootstrap")),
    h("td", { class: "num" }, e.mined ? h("data", { class: "gas", value: e.mined.gas_used }, e.mined.gas_used.toLocaleString("en-US")) : "—"),
    h("td", {}, e.tx ? hash(e.tx, "tx") : "—")));
  body.replaceChildren(...(rows.length ? rows
    : [h("tr", {}, h("td", { colspan: 7, class: "muted" }, "No epoch yet."))]));
}

// ---- the chart ----------------------------------------------------------------------------

let chart = null;
let exact = { block: [], total: [], cap: "0" };

/** Wei as MOR for plotting only (rounded to 1e-6 MOR). */
const plot = (wei) => Number(wei / 10n ** 12n) / 1e6;

function draw(today) {
  const seconds = today.block_seconds;
  const before = big(today.before);
  const cap = big(today.contract.daily_cap);
  // The day from its midnight to now, with the running total carried to both ends.
  const start = today.day * 86400;
  const end = Math.max(today.now, start + 60);
  const xs = [], perBlock = [], total = [], caps = [];
  exact = { block: [], total: [], cap: decimal(cap) };
  const point = (x, added, running) => {
    xs.push(x);
    // A log scale shows a bootstrap share and a few requests' credit side by side; zero has
    // no place on it.
    perBlock.push(added === null || added === 0n ? null : plot(added));
    total.push(plot(running));
    caps.push(plot(cap));
    exact.block.push(added === null ? null : decimal(added));
    exact.total.push(decimal(running));
  };
  let running = 0n;
  for (const e of today.epochs) {
    const x = e.built_in_block * seconds;
    if (xs.length === 0 && x > start) point(start, null, 0n);
    running = big(e.cumulative_credited) + big(e.cumulative_bootstrap) - before;
    point(x, big(e.work) + big(e.bootstrap), running);
  }
  if (xs.length === 0) point(start, null, 0n);
  if (end > xs[xs.length - 1]) point(end, null, running);
  const data = [xs, perBlock, total, caps];
  const el = document.getElementById("chart");
  const width = Math.max(320, el.clientWidth || 900);
  if (!window.uPlot) {
    replace("chart", h("p", { class: "error" }, "The chart library did not load."));
    return;
  }
  if (chart) {
    chart.setData(data);
    return;
  }
  const value = (key) => (u, v, si, i) => (i === null || i === undefined || exact[key][i] === null ? "—" : `${exact[key][i]} MOR`);
  chart = new uPlot({
    width,
    height: 260,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
    cursor: { points: { size: 6 } },
    scales: { x: { time: true }, mor: { auto: true }, block: { distr: 3, log: 10 } },
    axes: [
      { stroke: "#5b6475", grid: { stroke: "#eceef3" } },
      { scale: "mor", stroke: "#5b6475", grid: { stroke: "#eceef3" }, size: 70, label: "MOR today" },
      { scale: "block", side: 1, stroke: "#b07d00", grid: { show: false }, size: 70, label: "MOR per block" },
    ],
    series: [
      { label: "UTC" },
      { label: "Per block", scale: "block", stroke: "#d69e00", fill: "rgba(245, 180, 0, 0.35)",
        paths: uPlot.paths.bars({ size: [0.6, 24] }), points: { show: false }, value: value("block") },
      { label: "Committed today", scale: "mor", stroke: "#1f4aa8", width: 2, value: value("total"),
        paths: uPlot.paths.stepped({ align: 1 }) },
      { label: "Daily cap", scale: "mor", stroke: "#c0392b", dash: [6, 4], width: 1.5, points: { show: false },
        value: () => `${exact.cap} MOR` },
    ],
  }, data, el);
}

// ---- allowance lookup ---------------------------------------------------------------------

async function lookup(address) {
  const error = document.getElementById("allowance-error");
  const result = document.getElementById("allowance-result");
  error.hidden = true;
  result.replaceChildren();
  const text = address.trim();
  if (!ADDRESS.test(text)) {
    error.textContent = `“${text}” is not an address: expected 0x followed by 40 hexadecimal digits.`;
    error.hidden = false;
    return;
  }
  try {
    const a = await get(`/v1/allowance/${text}`);
    const row = (label, value) => h("tr", {}, h("th", { scope: "row" }, label), h("td", { class: "num" }, value));
    result.replaceChildren(h("table", { id: "allowance", "data-user": a.user.toLowerCase() },
      h("caption", {}, `Day ${a.day}: `, hash(a.user, "user")),
      h("tbody", {},
        row("Allowance", mor(a.allowance, "allowance")),
        row("Used", mor(a.used, "used")),
        row("Held by open tickets", mor(a.held, "held")),
        row("Left", mor(a.left, "left")),
        row("Tokens allowed (at the reference price)", h("data", { class: "tokens-allowed", value: a.tokens_allowed }, a.tokens_allowed.toLocaleString("en-US"))),
        row("Tokens left", h("data", { class: "tokens-left", value: a.tokens_left }, a.tokens_left.toLocaleString("en-US"))),
        row("MOR balance at the snapshot", mor(a.balance, "balance")))));
  } catch (e) {
    error.textContent = e.message;
    error.hidden = false;
  }
}

function lookupForm() {
  const form = document.getElementById("allowance-form");
  const input = document.getElementById("address");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const url = new URL(window.location.href);
    url.searchParams.set("address", input.value.trim());
    window.history.replaceState(null, "", url);
    lookup(input.value);
  });
  const asked = new URL(window.location.href).searchParams.get("address");
  if (asked !== null) {
    input.value = asked;
    lookup(asked);
  }
}

// ---- the loop -------------------------------------------------------------------------------

async function refresh() {
  const status = document.getElementById("status");
  try {
    const [market, today, providers, recent] = await Promise.all([
      get("/v1/market"), get("/v1/today"), get("/v1/providers"), get("/v1/epochs?limit=8"),
    ]);
    header(market);
    todayCards(market, today);
    bids(market, providers);
    earnings(providers);
    epochs(recent);
    draw(today);
    const paused = today.contract.paused ? " · contract paused" : "";
    status.textContent = `Live · updated ${utc(market.now)} UTC · chain block ${today.contract.block}${paused}`;
    status.className = "status ok";
  } catch (e) {
    status.textContent = `Cannot read the router (${e.message}); retrying every ${REFRESH_MS / 1000} s.`;
    status.className = "status bad";
  }
  setTimeout(refresh, REFRESH_MS);
}

lookupForm();
refresh();
