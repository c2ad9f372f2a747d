// Browser capture helper: records page views, clicks, form submits and custom events, with
// timestamps and dwell times, as seqrisk session events. The buffer is bounded (oldest events go
// first) and lives in the page's memory only: nothing is sent anywhere. Input values and text are
// never read; a click is described by the element's `data-seqrisk-*` attributes, id or tag.

const DEFAULT_FIELDS = { type: "event_type", page: "page", dwell: "dwell_ms", timestamp: "ts" };
const DEFAULT_TYPES = { pageView: "page_view", click: "click", submit: "submit" };

/** Default page name: the last path segment ("/shop/checkout" → "checkout"), "home" for "/". */
export function pageFromLocation(location) {
  const segments = location.pathname.split("/").filter(Boolean);
  return segments.length ? decodeURIComponent(segments[segments.length - 1]) : "home";
}

function randomId() {
  return globalThis.crypto?.randomUUID?.() ?? `s-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/** The marked element a DOM event counts for: a form's mark is for its submits, not for the
 * clicks inside it. */
function annotated(target, type) {
  if (!(target instanceof Element)) return null;
  return target.closest(type === "click" ? "[data-seqrisk-event]:not(form)" : "[data-seqrisk-event]");
}

function describe(target) {
  if (!(target instanceof Element)) return undefined;
  const marked = target.closest("[data-seqrisk-target]");
  if (marked) return marked.getAttribute("data-seqrisk-target");
  return target.id ? `#${target.id}` : target.tagName.toLowerCase();
}

export function createCapture(options = {}) {
  const maxEvents = options.maxEvents ?? 200;
  if (!Number.isInteger(maxEvents) || maxEvents < 1) {
    throw new RangeError(`maxEvents: expected a positive integer, got ${maxEvents}`);
  }
  const unit = options.timestampUnit ?? "seconds";
  if (unit !== "seconds" && unit !== "milliseconds") {
    throw new RangeError(`timestampUnit: expected "seconds" or "milliseconds", got ${JSON.stringify(unit)}`);
  }
  const fields = { ...DEFAULT_FIELDS, ...options.fields };
  const types = { ...DEFAULT_TYPES, ...options.types };
  const record = { pageViews: true, clicks: true, submits: true, ...options.record };
  const now = options.now ?? (() => Date.now());
  const page = options.page ?? (() => pageFromLocation(globalThis.location));
  const root = options.root ?? globalThis.document;
  const sessionId = options.sessionId ?? randomId();

  const buffer = [];
  let dropped = 0;
  let last;

  function push(type, extra, domEvent) {
    const at = now();
    const event = {
      [fields.timestamp]: unit === "seconds" ? at / 1000 : at,
      [fields.type]: type,
      [fields.page]: page(),
      [fields.dwell]: last === undefined ? 0 : Math.max(0, at - last),
    };
    last = at;
    if (fields.target && domEvent) event[fields.target] = describe(domEvent.target);
    Object.assign(event, options.enrich?.(domEvent) ?? {}, extra);
    buffer.push(event);
    if (buffer.length > maxEvents) {
      buffer.shift();
      dropped += 1;
    }
    options.onRecord?.({ ...event });
    return event;
  }

  const listeners = [];
  function listen(target, name, handler) {
    target.addEventListener(name, handler, { capture: true, passive: true });
    listeners.push(() => target.removeEventListener(name, handler, { capture: true }));
  }
  // `"annotated"`: only elements inside a `data-seqrisk-event` one
  const onDom = (mode, fallback) => (e) => {
    const kind =
      annotated(e.target, e.type)?.getAttribute("data-seqrisk-event") ?? (mode === "annotated" ? undefined : fallback);
    if (kind !== undefined) push(kind, {}, e);
  };
  for (const [name, mode] of [
    ["clicks", record.clicks],
    ["submits", record.submits],
  ]) {
    if (mode !== true && mode !== false && mode !== "annotated") {
      throw new RangeError(`record.${name}: expected true, false or "annotated", got ${JSON.stringify(mode)}`);
    }
  }
  if (root && record.clicks) listen(root, "click", onDom(record.clicks, types.click));
  if (root && record.submits) listen(root, "submit", onDom(record.submits, types.submit));
  // a hash change fires both popstate and hashchange: one page view per new location
  let viewed;
  if (record.pageViews && globalThis.window) {
    const view = () => {
      const href = globalThis.location?.href;
      if (href !== undefined && href === viewed) return;
      viewed = href;
      push(types.pageView);
    };
    listen(globalThis.window, "popstate", view);
    listen(globalThis.window, "hashchange", view);
    view();
  }

  return {
    sessionId,
    get dropped() {
      return dropped;
    },
    record(type, extra = {}) {
      return push(type, extra);
    },
    pageView(extra = {}) {
      viewed = globalThis.location?.href;
      return push(types.pageView, extra);
    },
    events() {
      return buffer.map((e) => ({ ...e }));
    },
    session() {
      return { ...options.profile, id: sessionId, events: this.events() };
    },
    score(scorer) {
      return scorer.score(this.session());
    },
    clear() {
      buffer.length = 0;
      dropped = 0;
      last = undefined;
    },
    stop() {
      for (const remove of listeners.splice(0)) remove();
    },
  };
}
