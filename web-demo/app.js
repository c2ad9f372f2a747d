// The seqrisk demo: a small bank-and-shop whose every page view, login, cart and payment the
// package's capture helper records, scored after each event by a model in a Web Worker. It uses
// only the package's public API (`seqrisk/capture`, `seqrisk/worker`), as a customer's page would.
// The fraud models score the visit; HUIHEN (a loan applicant's months of app behaviour) and LBSF
// (a user's six months of payments) read histories no visit holds, so they score recorded ones.
//
// URL parameters: `backend` (`auto`, `webgpu`, `cpu`; default auto), `model` (an artifact file
// name from models/index.json), `step` (milliseconds between replayed events; default 250).
import { createCapture } from "seqrisk/capture";
import { createWorkerScorer } from "seqrisk/worker";
import { bars, clusterMap, columns, gauge, riskClass, roc, timeline } from "./charts.js";

const params = new URLSearchParams(location.search);
const BACKEND = params.get("backend") ?? "auto";
const STEP_MS = Number(params.get("step") ?? 250);
const $ = (id) => document.getElementById(id);

// what the synthetic data's schema knows: its merchants, categories and event kinds
const CATALOG = [
  {
    id: "headphones",
    name: "Noise-cancelling headphones",
    price: 189.0,
    merchant: "MegaTech Store",
    category: "electronics",
    about: "Forty hours of quiet.",
  },
  {
    id: "charger",
    name: "USB-C charger",
    price: 29.9,
    merchant: "Gadget Hub",
    category: "electronics",
    about: "65 W, folds flat.",
  },
  {
    id: "jacket",
    name: "Rain jacket",
    price: 84.5,
    merchant: "Urban Threads",
    category: "fashion",
    about: "Packs into its own pocket.",
  },
  {
    id: "sneakers",
    name: "Running shoes",
    price: 96.0,
    merchant: "Shoe Palace",
    category: "fashion",
    about: "Light and springy.",
  },
  {
    id: "groceries",
    name: "Weekly groceries box",
    price: 52.3,
    merchant: "Fresh Grocer",
    category: "grocery",
    about: "Seasonal, delivered Friday.",
  },
];
const DEALS = [
  {
    id: "giftcard",
    name: "$50 gift card",
    price: 50.0,
    merchant: "Gift Card Express",
    category: "digital_goods",
    about: "Delivered by email.",
  },
  {
    id: "coins",
    name: "1,000 game coins",
    price: 9.99,
    merchant: "GameCoins Online",
    category: "digital_goods",
    about: "Instant top-up.",
  },
];
const PRODUCTS = Object.fromEntries([...CATALOG, ...DEALS].map((p) => [p.id, p]));
const VIEWS = ["login", "home", "catalog", "deals", "search", "product", "checkout", "payees", "security", "account"];
// the visitor as the model sees them: a known device in the US, a verified account
const CONTEXT = { device_status: "known", ip_country: "US" };
const PROFILE = {
  kyc_level: "verified",
  country: "US",
  signup_channel: "organic",
  account_age_days: 420,
  credit_limit: 2500,
};

const state = {
  models: [],
  replays: [],
  entry: undefined,
  scorer: undefined,
  threshold: 0.5,
  source: "live",
  scores: [],
  last: undefined,
  lastScenario: undefined,
  pending: undefined,
  busy: false,
  replayRun: 0,
  loggedIn: false,
  loginShownAt: Date.now(),
  cart: [],
};

// --- the shop -------------------------------------------------------------------------------

function route() {
  const [view, arg] = location.hash.slice(1).split("/");
  const name = !state.loggedIn ? "login" : VIEWS.includes(view) ? view : "home";
  for (const v of document.querySelectorAll(".view")) v.hidden = v.dataset.view !== name;
  if (name === "product") showProduct(PRODUCTS[arg] ?? CATALOG[0]);
  if (name === "checkout") showCart();
  return name;
}

function currentPage() {
  return route();
}

function productList(list, items) {
  list.replaceChildren(
    ...items.map((p) => {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = `#product/${p.id}`;
      a.textContent = p.name;
      const price = document.createElement("span");
      price.textContent = `$${p.price.toFixed(2)}`;
      li.append(a, price);
      return li;
    }),
  );
}

let shown;
function showProduct(p) {
  shown = p;
  $("product-name").textContent = p.name;
  $("product-about").textContent = p.about;
  $("product-price").textContent = `$${p.price.toFixed(2)}`;
  $("product-merchant").textContent = p.merchant;
}

function cartTotal() {
  return state.cart.reduce((sum, p) => sum + p.price, 0);
}

function showCart() {
  $("cart-items").replaceChildren(
    ...state.cart.map((p) => {
      const li = document.createElement("li");
      li.textContent = `${p.name} — $${p.price.toFixed(2)} (${p.merchant})`;
      return li;
    }),
  );
  $("cart-total").textContent = `$${cartTotal().toFixed(2)}`;
  $("pay").disabled = state.cart.length === 0;
  $("cart-count").textContent = `(${state.cart.length})`;
}

/** Fields the capture adds to an event: the visitor's context, and what a form did. */
function enrich(domEvent) {
  const form = domEvent?.target instanceof Element ? domEvent.target.closest("form") : null;
  const extra = { ...CONTEXT };
  if (form?.id === "pay-form" && state.cart.length) {
    // the merchant taking most of the cart
    const by = new Map();
    for (const p of state.cart) by.set(p.merchant, (by.get(p.merchant) ?? 0) + p.price);
    const [merchant] = [...by.entries()].sort((a, b) => b[1] - a[1])[0];
    const product = state.cart.find((p) => p.merchant === merchant);
    Object.assign(extra, {
      merchant,
      merchant_category: product.category,
      amount: Math.round(cartTotal() * 100) / 100,
      result: "success",
      description: `${merchant} order #${10000 + Math.floor(Math.random() * 89999)}`,
    });
  }
  return extra;
}

/**
 * Show the page a form submit leads to. The submit is the event; its result page is not a page
 * view of its own (`replaceState` fires no hashchange), as in the synthetic data the models
 * learnt from, where the step after a login or payment comes seconds later.
 */
function arrive(view) {
  history.replaceState(null, "", `#${view}`);
  route();
}

function wireShop(capture) {
  productList($("products"), CATALOG);
  productList($("deal-products"), DEALS);
  const forms = {
    // a session is what a signed-in visitor does: it starts at the login, with the time spent
    // on the login page as its dwell
    "login-form": () => {
      const dwell = Math.max(0, Date.now() - state.loginShownAt);
      capture.clear();
      capture.record("login", { result: "success", dwell_ms: dwell });
      state.loggedIn = true;
      arrive("home");
    },
    "search-form": () => arrive("catalog"),
    "pay-form": () => {
      message(`Paid $${cartTotal().toFixed(2)}. Thank you!`);
      state.cart = [];
      showCart();
      arrive("home");
    },
    "payee-form": () => message("Payee added."),
    "password-form": () => message("Password changed."),
    "profile-form": () => message("Saved."),
  };
  for (const [id, done] of Object.entries(forms)) {
    $(id).addEventListener("submit", (e) => {
      e.preventDefault();
      done();
    });
  }
  $("add-to-cart").addEventListener("click", () => {
    state.cart.push(shown);
    showCart();
    message(`${shown.name} is in your cart.`);
  });
  $("logout").addEventListener("click", () => {
    state.loggedIn = false;
    state.loginShownAt = Date.now();
    state.cart = [];
    showCart();
    arrive("login");
  });
  addEventListener("hashchange", () => message(""));
}

function message(text) {
  $("shop-message").textContent = text;
}

// --- scoring --------------------------------------------------------------------------------

/** Score `session` as soon as the worker is free; a newer session replaces a waiting one. */
async function scoreSoon(session) {
  state.pending = session;
  if (state.busy || !state.scorer) return;
  state.busy = true;
  document.body.dataset.state = "scoring";
  while (state.pending) {
    const s = state.pending;
    state.pending = undefined;
    const scorer = state.scorer;
    const started = performance.now();
    try {
      const result = await scorer.score(s);
      if (scorer === state.scorer) show(result, s, performance.now() - started);
    } catch (e) {
      if (scorer === state.scorer) failed(e);
    }
  }
  state.busy = false;
  document.body.dataset.state = "idle";
}

function failed(e) {
  $("verdict").textContent = `error: ${e.message}`;
  $("verdict").className = "risk-high";
}

function show(result, session, ms) {
  state.last = session;
  state.lastScenario = state.entry.scenario;
  const n = session.events.length;
  state.scores = state.scores.filter((s) => s.n < n);
  state.scores.push({ n, score: result.score });
  const t = state.threshold;
  const g = $("gauge");
  g.replaceChildren(gauge(result.score, t));
  g.dataset.score = String(result.score);
  g.dataset.events = String(n);
  g.dataset.threshold = String(t);
  $("event-count").textContent = String(n);
  $("latency").textContent = `${ms.toFixed(1)} ms on ${state.scorer.backend}`;
  const flagged = result.score >= t;
  $("verdict").textContent = flagged ? "flagged for review" : "passes";
  $("verdict").className = riskClass(result.score, t);
  $("timeline").replaceChildren(
    timeline(
      state.scores.map((s) => s.score),
      t,
    ),
  );
  explain(result.explanation, session.events);
}

/** What an event is, in the fields of its scenario (shop and bank, credit app, payments). */
function eventLabel(e, i) {
  const what = [e.event_type, e.page, e.item_click, e.operation, e.widget, e.merchant].filter(Boolean).join(" · ");
  const amount = typeof e.amount === "number" ? ` $${e.amount.toFixed(2)}` : "";
  return `${i + 1}. ${what}${amount}${e.planted ? " ⚑" : ""}`;
}

const when = (e) =>
  typeof e?.ts === "number" ? new Date(e.ts * 1000).toISOString().slice(0, 16).replace("T", " ") : "?";

/** The three indices of `values` with the largest value, largest first. */
function top3(values) {
  return values
    .map((v, i) => [v, i])
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, 3)
    .map(([, i]) => i);
}

/** HUIHEN: one bar per behavior session, its height how much the session moved the habits. */
function explainSessions(sessions, events) {
  $("sessions-block").hidden = !sessions?.length;
  if (!sessions?.length) return;
  const moved = sessions.map((s) => s.weights.update_gate ?? 0);
  const top = top3(moved);
  const items = sessions.map((s, k) => ({
    value: moved[k],
    highlight: top.includes(k),
    title: `session ${k + 1}: ${when(events[s.first_event])} to ${when(events[s.last_event])}, events ${s.first_event + 1}–${s.last_event + 1}; ${Object.entries(
      s.weights,
    )
      .map(([name, v]) => `${name} ${v.toFixed(3)}`)
      .join(", ")}`,
    data: { "data-first": s.first_event, "data-last": s.last_event },
  }));
  $("sessions").replaceChildren(
    columns(items, {
      label: `update gate of each of ${sessions.length} behavior sessions`,
      name: "update_gate per session",
      first: when(events[sessions[0].first_event]).slice(0, 10),
      last: when(events[sessions.at(-1).first_event]).slice(0, 10),
    }),
  );
  const list = top.map((k) => {
    const s = sessions[k];
    const shown = events
      .slice(s.first_event, s.last_event + 1)
      .map((e) => e.item_click ?? e.operation ?? e.widget ?? e.event_type);
    const li = document.createElement("li");
    li.dataset.session = String(k);
    li.textContent = `${when(events[s.first_event])}, ${shown.length} behaviors (update gate ${moved[k].toFixed(3)}, intention ${(s.weights.intention ?? 0).toFixed(3)}): ${shown.slice(0, 8).join(", ")}${shown.length > 8 ? ", …" : ""}`;
    return li;
  });
  $("sessions-top").replaceChildren(...list);
}

/** How many merchants the LBSF view lists. */
const MERCHANTS_SHOWN = 10;

/** LBSF: the merchants the CLS token attends to most, and the payments of the first of them. */
function explainMerchants(x, events) {
  const merchants = x.merchants ?? [];
  $("merchants-block").hidden = !merchants.length;
  if (!merchants.length) return;
  const attention = merchants.map((m) => m.weights.cls_attention ?? 0);
  const order = merchants.map((_, k) => k).sort((a, b) => attention[b] - attention[a] || a - b);
  const shown = order.slice(0, MERCHANTS_SHOWN);
  const top = (x.top_merchants ?? []).slice(0, 3);
  const rows = shown.map((k) => {
    const m = merchants[k];
    const planted = m.events.some((i) => events[i]?.planted);
    return {
      label: `${m.name ?? "(no merchant)"} · ${m.events.length}${planted ? " ⚑" : ""}`,
      values: { cls_attention: attention[k] },
      highlight: top.includes(k),
      data: { "data-merchant": k },
    };
  });
  $("merchants-note").textContent =
    `LBSF folds the ${events.length} payments by merchant and reads ${merchants.length} merchants; the CLS token's attention over them (cls_attention), the ${shown.length} it attends to most, with their kept payments' count${events.some((e) => e.planted) ? "; ⚑ marks a merchant with planted payments" : ""}. The top three are highlighted.`;
  $("merchants").replaceChildren(bars(rows, ["cls_attention"], "merchant attention"));
  const first = merchants[top[0] ?? order[0]];
  const weights = first.payment_weights.payment_attention ?? [];
  $("payments-title").textContent =
    `Payments at ${first.name ?? "(no merchant)"}: their attention within the merchant (payment_attention)`;
  $("payments").replaceChildren(
    columns(
      first.events.map((i, j) => ({
        value: weights[j] ?? 0,
        marked: !!events[i]?.planted,
        title: `${when(events[i])}: $${(events[i]?.amount ?? 0).toFixed(2)} ${events[i]?.description ?? ""} — ${(weights[j] ?? 0).toFixed(4)}`,
        data: { "data-event": i },
      })),
      {
        label: `attention over the ${first.events.length} kept payments at ${first.name ?? "(no merchant)"}`,
        name: "payment_attention",
        first: when(events[first.events[0]]).slice(0, 10),
        last: when(events[first.events.at(-1)]).slice(0, 10),
      },
    ),
  );
}

function explain(x, events) {
  const names = Object.keys(x.weights ?? {});
  const rows = (names.length ? (x.events ?? []) : []).map((idx, k) => ({
    label: eventLabel(events[idx] ?? {}, idx),
    values: Object.fromEntries(names.map((name) => [name, x.weights[name][k] ?? 0])),
    highlight: (x.top_events ?? []).slice(0, 3).includes(idx),
    data: { "data-event": idx },
  }));
  $("weights-block").hidden = !rows.length && !!(x.sessions?.length || x.merchants?.length);
  explainSessions(x.sessions, events);
  explainMerchants(x, events);
  $("weights-note").textContent = rows.length
    ? `Per-event weights (${names.join(", ")}) of the history behind event ${x.current_event + 1}; the three that weigh most are highlighted${events.some((e) => e.planted) ? ", ⚑ marks the planted fraud events" : ""}.`
    : "This model gives no per-event weights for this session.";
  $("weights").replaceChildren(...(rows.length ? [bars(rows, names, "per-event weights")] : []));

  const fields = x.field_weights?.field_importance;
  $("fields-block").hidden = !fields;
  if (fields) {
    const fieldRows = Object.entries(fields).map(([name, v]) => ({ label: name, values: { field_importance: v } }));
    $("fields").replaceChildren(bars(fieldRows, ["field_importance"], "field importance"));
  }

  const map = state.scorer?.card.cluster_map;
  $("map-block").hidden = !map;
  if (map) {
    const m = $("map");
    m.replaceChildren(clusterMap(map, x.map_point));
    m.dataset.point = JSON.stringify(x.map_point ?? null);
    const p = document.createElement("p");
    p.id = "cluster-verdict";
    const parts = [p];
    if (x.cluster) {
      const c = x.cluster;
      p.textContent = `Looks like risky cluster ${c.label} (fraud density ${(100 * c.fraud_density).toFixed(0)}%, reach ${c.reach.toFixed(2)}). ${c.rules.length ? "Its rules this session matches:" : "It matches none of the cluster's rules."}`;
      const list = document.createElement("ul");
      list.id = "cluster-rules";
      list.append(...c.rules.map((r) => Object.assign(document.createElement("li"), { textContent: r })));
      parts.push(list);
    } else {
      p.textContent = "Outside every risky cluster.";
    }
    $("cluster").replaceChildren(...parts);
  }
}

// --- models, card, replays --------------------------------------------------------------------

/** What a positive label is in each scenario. */
const POSITIVE = { fraud: "fraudulent", credit: "overdue", payments: "defaulted" };

/** What the replay panel says for models that read longer histories than a visit. */
const HISTORIES = {
  credit:
    "reads a loan applicant's app behaviours over the 120 days before applying, which a visit here does not hold: it scores recorded applicants, their behaviours replayed over the months.",
  payments:
    "reads a user's payments over the six months before a loan, which a visit here does not hold: it scores recorded users, their payments replayed over the months.",
};

/** Replay buttons of the current model's scenario, and whether the visitor's visit is scored. */
function showScenario(entry) {
  const live = entry.scenario === "fraud";
  for (const b of document.querySelectorAll("#replay-buttons button")) b.hidden = b.dataset.scenario !== entry.scenario;
  $("live").hidden = !live;
  $("scenario-note").textContent = live ? "" : `${entry.title} ${HISTORIES[entry.scenario] ?? ""}`;
  document.body.dataset.scenario = entry.scenario;
}

/** An empty risk panel, until a session of the model's scenario is scored. */
function clearPanel() {
  state.last = undefined;
  state.scores = [];
  for (const id of [
    "gauge",
    "timeline",
    "weights",
    "fields",
    "map",
    "sessions",
    "sessions-top",
    "merchants",
    "payments",
    "cluster",
  ])
    $(id).replaceChildren();
  for (const id of ["fields-block", "map-block", "sessions-block", "merchants-block"]) $(id).hidden = true;
  $("weights-block").hidden = false;
  $("weights-note").textContent = "Act in the shop, or replay a recorded session, to see what the model weighs.";
  $("event-count").textContent = "0";
  $("latency").textContent = "–";
  $("verdict").textContent = "–";
  $("verdict").className = "";
  for (const key of Object.keys($("gauge").dataset)) delete $("gauge").dataset[key];
  delete $("map").dataset.point;
}

async function loadModel(entry) {
  $("model").disabled = true;
  document.body.dataset.state = "loading";
  $("backend").textContent = `loading ${entry.title}…`;
  const old = state.scorer;
  state.scorer = undefined;
  old?.terminate();
  state.entry = entry;
  showScenario(entry);
  if (state.source === "replay" && state.lastScenario !== entry.scenario) state.replayRun++;
  try {
    const bytes = await (await fetch(`models/${entry.file}`)).arrayBuffer();
    const scorer = await createWorkerScorer(bytes, { backend: BACKEND });
    state.scorer = scorer;
    state.threshold = scorer.card.training.threshold;
    const badge = $("backend");
    badge.textContent = scorer.fallbackReason
      ? `${scorer.backend} (fallback: ${scorer.fallbackReason})`
      : `on ${scorer.backend}`;
    badge.dataset.backend = scorer.backend;
    renderCard(scorer.card);
  } catch (e) {
    $("backend").textContent = `could not load ${entry.file}: ${e.message}`;
  } finally {
    $("model").disabled = false;
    document.body.dataset.state = "idle";
  }
  state.scores = [];
  if (state.last && state.lastScenario === entry.scenario) scoreSoon(state.last);
  else {
    clearPanel();
    if (entry.scenario === "fraud") {
      setSource("your session", "live");
      if (state.loggedIn) scoreSoon(state.capture.session());
    } else setSource("pick a recorded history", "none");
  }
}

function renderCard(card) {
  const m = card.test_metrics;
  const t = card.training;
  const rows = [
    ["model", card.model],
    ["created", new Date(card.created_unix * 1000).toISOString().slice(0, 10)],
    [
      "trained on",
      `${card.data_fingerprint} — ${t.split_sessions.join(" / ")} sessions (train / valid / test), ${t.split_positives.join(" / ")} ${POSITIVE[state.entry?.scenario] ?? "positive"}`,
    ],
    ["epochs", `${t.epochs} (best ${t.best_epoch})`],
    [
      "threshold",
      card.model === "behavior-cluster"
        ? `${t.threshold.toFixed(4)} (a cluster is risky from this fraud density on; a session scores its cluster's density)`
        : `${t.threshold.toFixed(4)} (at most 1% of validation's negative sessions — legitimate, repaid — score at or above it)`,
    ],
  ];
  const c = card.calibration;
  if (c) {
    const how = "Platt" in c.calibrator ? "Platt scaling" : "isotonic regression";
    rows.push([
      "calibration",
      `${how} on the validation split; test Brier ${c.test_raw.brier.toFixed(4)} → ${c.test_calibrated.brier.toFixed(4)}, ECE ${c.test_raw.ece.toFixed(4)} → ${c.test_calibrated.ece.toFixed(4)}`,
    ]);
  }
  if (m) {
    rows.push(
      ["test AUC", m.auc.toFixed(4)],
      ["pAUC (FPR ≤ 1%)", m.pauc_1pct.toFixed(4)],
      ["KS", m.ks.toFixed(4)],
      ["Recall@10%", m.recall_at_10pct.toFixed(4)],
      ["average precision", m.average_precision.toFixed(4)],
    );
  }
  const dl = document.createElement("dl");
  for (const [k, v] of rows) {
    dl.append(
      Object.assign(document.createElement("dt"), { textContent: k }),
      Object.assign(document.createElement("dd"), { textContent: v }),
    );
  }
  const figure = document.createElement("figure");
  if (card.test_roc.length && m) figure.append(roc(card.test_roc, m.auc));
  $("card-body").replaceChildren(dl, figure);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Most scoring steps of a replay: longer histories grow by several events a step. */
const REPLAY_STEPS = 40;

function setSource(label, kind) {
  state.source = kind;
  state.scores = [];
  $("source").textContent = label;
  document.body.dataset.source = kind;
}

async function replay(r) {
  const run = ++state.replayRun;
  setSource(`replay: ${r.title}`, "replay");
  $("replay-about").textContent = r.about;
  document.body.dataset.replay = "running";
  // event by event; a long history (months of behaviours or payments) in REPLAY_STEPS steps
  const events = r.session.events;
  const steps = Math.min(events.length, REPLAY_STEPS);
  for (let i = 1; i <= steps && run === state.replayRun; i++) {
    scoreSoon({ ...r.session, events: events.slice(0, Math.ceil((events.length * i) / steps)) });
    await sleep(STEP_MS);
  }
  if (run === state.replayRun) document.body.dataset.replay = "done";
}

// --- start ------------------------------------------------------------------------------------

async function main() {
  route();
  // the capture records its first page view while being created, before `capture` is set
  let capture;
  capture = createCapture({
    page: currentPage,
    record: { clicks: "annotated", submits: "annotated" },
    profile: PROFILE,
    enrich,
    onRecord: () => {
      if (capture && state.loggedIn && state.source === "live" && state.entry?.scenario === "fraud")
        scoreSoon(capture.session());
    },
  });
  state.capture = capture;
  wireShop(capture);
  $("live").addEventListener("click", () => {
    state.replayRun++;
    setSource("your session", "live");
    $("replay-about").textContent = "";
    if (state.loggedIn) scoreSoon(capture.session());
  });
  setSource("your session", "live");

  const [models, replays] = await Promise.all(
    ["models/index.json", "models/replays.json"].map((u) => fetch(u).then((r) => r.json())),
  );
  state.models = models;
  state.replays = replays;
  const select = $("model");
  select.replaceChildren(
    ...models.map((m) => Object.assign(document.createElement("option"), { value: m.file, textContent: m.title })),
  );
  const wanted = models.find((m) => m.file === params.get("model")) ?? models[0];
  select.value = wanted.file;
  select.addEventListener("change", () => loadModel(models.find((m) => m.file === select.value)));
  $("replay-buttons").replaceChildren(
    ...replays.map((r) => {
      const button = Object.assign(document.createElement("button"), {
        type: "button",
        textContent: r.title,
        title: r.about,
        onclick: () => replay(r),
        id: `replay-${r.pattern}`,
      });
      Object.assign(button.dataset, { scenario: r.scenario, risky: String(r.risky) });
      return button;
    }),
  );
  await loadModel(wanted);
  document.body.dataset.ready = "true";
}

main();
