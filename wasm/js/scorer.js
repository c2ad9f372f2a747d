// The Scorer every entry point exports (index.js: browsers and bundlers, node.js: Node,
// edge.js: edge workers). Entry points differ only in how they load a wasm build: `load(build,
// source)` resolves to an initialised wasm-bindgen module for build "cpu" or "webgpu". Each
// build is loaded once per scope (a failed load is retried on the next create).

/** `undefined` if this runtime offers a WebGPU adapter, else why not. */
export async function webgpuUnavailableReason() {
  const gpu = globalThis.navigator?.gpu;
  if (!gpu) return "navigator.gpu is undefined: this runtime has no WebGPU";
  try {
    const adapter = await gpu.requestAdapter();
    return adapter
      ? undefined
      : "navigator.gpu.requestAdapter() gave no adapter (WebGPU disabled or the GPU is blocklisted)";
  } catch (e) {
    return `navigator.gpu.requestAdapter() failed: ${message(e)}`;
  }
}

function message(e) {
  return e instanceof Error ? e.message : String(e);
}

/** An Error with a `code` (the codes are listed in index.d.ts). */
function coded(code, text, options) {
  const e = new Error(text, options);
  e.code = code;
  return e;
}

/**
 * Builds whose wasm instance trapped, by build name. A trap (a panic: a bug, never bad input)
 * leaves the instance in an unknown state, so every scorer of that build in this scope refuses
 * further work with the first error.
 */
const stopped = new Map();

/** Run `f` (a call into `glue`, build `build`) turning a trap into an Error with its panic message. */
function guard(build, glue, f) {
  const fail = (e) => rethrow(build, glue, e);
  if (stopped.has(build)) throw stoppedError(build);
  try {
    const out = f();
    return out instanceof Promise ? out.catch((e) => Promise.reject(fail(e))) : out;
  } catch (e) {
    throw fail(e);
  }
}

function rethrow(build, glue, e) {
  if (e?.code === "SEQRISK_INTERNAL") {
    // the panic hook rejected a pending Promise: the instance is in the same unknown state
    glue.takePanicMessage?.();
    if (!stopped.has(build)) stopped.set(build, e);
    return e;
  }
  if (typeof WebAssembly !== "undefined" && e instanceof WebAssembly.RuntimeError) {
    const panic = glue.takePanicMessage?.();
    const error = coded(
      "SEQRISK_INTERNAL",
      `seqrisk: internal error in the wasm scorer: ${panic ?? e.message}; please report it`,
      { cause: e },
    );
    stopped.set(build, error);
    return error;
  }
  return e instanceof Error ? e : new Error(String(e));
}

function stoppedError(build) {
  const first = stopped.get(build);
  return coded(
    "SEQRISK_INTERNAL",
    `seqrisk: the ${build} build stopped after an internal error and scores no more in this page, worker or isolate (${first.message})`,
    { cause: first },
  );
}

/** `options.limits` (camelCase) as the JSON text the wasm reads (snake_case). */
const LIMITS = {
  maxInputBytes: "max_input_bytes",
  maxEvents: "max_events",
  maxStringBytes: "max_string_bytes",
  maxBatch: "max_batch",
};

function limitsText(limits) {
  if (limits === undefined) return undefined;
  if (typeof limits !== "object" || limits === null) {
    throw coded("SEQRISK_BAD_OPTIONS", "options.limits: expected an object such as { maxEvents: 1000 }");
  }
  const out = {};
  for (const [key, value] of Object.entries(limits)) {
    if (!(key in LIMITS)) {
      throw coded(
        "SEQRISK_BAD_OPTIONS",
        `options.limits: unknown limit ${JSON.stringify(key)}; expected one of ${Object.keys(LIMITS).join(", ")}`,
      );
    }
    if (!Number.isSafeInteger(value) || value < 1) {
      throw coded(
        "SEQRISK_BAD_OPTIONS",
        `options.limits.${key}: expected a whole number of at least 1, got ${JSON.stringify(value)}`,
      );
    }
    out[LIMITS[key]] = value;
  }
  return JSON.stringify(out);
}

/**
 * Refuse text longer than `maxInputBytes` before it is copied into wasm: a string's UTF-8 form
 * is never shorter than its UTF-16 length, so a longer string is over the limit for sure (the
 * wasm checks the exact byte count of the rest).
 */
function bounded(text, limits, what) {
  if (text.length > limits.max_input_bytes) {
    throw coded(
      "SEQRISK_OVER_LIMIT",
      `${what}: field \`<${what}>\`: over the limit: at least ${text.length} bytes of JSON; at most ${limits.max_input_bytes} (max_input_bytes)`,
    );
  }
  return text;
}

/** Sessions cross into wasm as JSON text. */
function text(value, what) {
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value);
  } catch (e) {
    throw new TypeError(`${what}: cannot be written as JSON: ${message(e)}`);
  }
}

function toBytes(artifact) {
  if (artifact instanceof Uint8Array) return artifact;
  if (artifact instanceof ArrayBuffer) return new Uint8Array(artifact);
  if (ArrayBuffer.isView(artifact)) {
    return new Uint8Array(artifact.buffer, artifact.byteOffset, artifact.byteLength);
  }
  throw new TypeError("artifact: expected an ArrayBuffer or Uint8Array holding a .seqrisk file");
}

/** `load`, loading each build once: later calls share the first call's Promise. */
function once(load) {
  const builds = new Map();
  return (build, source) => {
    if (!builds.has(build)) {
      const ready = Promise.resolve().then(() => load(build, source));
      ready.catch(() => builds.delete(build));
      builds.set(build, ready);
    }
    return builds.get(build);
  };
}

/** Build the public Scorer class on top of an entry point's loader. */
export function defineScorer(loadBuild) {
  const load = once(loadBuild);
  return class Scorer {
    #inner;
    #build;
    #glue;
    #limits;
    #fallbackReason;
    #card;

    constructor(inner, build, glue, token) {
      if (token !== load) throw new TypeError("use `await Scorer.create(artifact, options)`");
      this.#inner = inner;
      this.#build = build;
      this.#glue = glue;
      this.#limits = JSON.parse(inner.limits);
      this.#fallbackReason = inner.fallbackReason;
    }

    // Which build to load is the only choice made here: the WebGPU build where this runtime
    // offers an adapter and the CPU backend was not asked for, else the CPU build, told why
    // WebGPU is out of reach. What `backend` means, when "auto" falls back and every message
    // are the wasm's (wasm/src/backend.rs), whichever build runs.
    static async create(artifact, options = {}) {
      const bytes = toBytes(artifact);
      const requested = options.backend === undefined ? "auto" : String(options.backend);
      const limits = limitsText(options.limits);
      const sources = options.wasm ?? {};
      let unavailable = requested === "cpu" ? undefined : await webgpuUnavailableReason();
      if (requested !== "cpu" && !unavailable) {
        try {
          const glue = await load("webgpu", sources.webgpu);
          const inner = await guard("webgpu", glue, () => glue.Scorer.create(bytes, requested, limits, undefined));
          withPolicy("webgpu", glue, inner, options.policy);
          return new Scorer(inner, "webgpu", glue, load);
        } catch (e) {
          if (requested !== "auto" || e?.code === "SEQRISK_BAD_ARTIFACT" || e?.code === "SEQRISK_BAD_OPTIONS") throw e;
          unavailable = `WebGPU build failed: ${message(e)}`;
        }
      }
      const glue = await load("cpu", sources.cpu);
      const inner = await guard("cpu", glue, () => glue.Scorer.create(bytes, requested, limits, unavailable));
      withPolicy("cpu", glue, inner, options.policy);
      return new Scorer(inner, "cpu", glue, load);
    }

    get model() {
      return this.#inner.model;
    }

    get backend() {
      return this.#inner.backend;
    }

    get card() {
      this.#card ??= JSON.parse(this.#inner.card);
      return this.#card;
    }

    get fallbackReason() {
      return this.#fallbackReason;
    }

    /**
     * Bytes of linear memory the wasm instance holds (shared by the scorers of its build; it
     * grows to the largest call's need and is not given back): what an edge runtime's memory
     * limit counts besides the JS heap.
     */
    get memoryBytes() {
      return this.#glue.memory.buffer.byteLength;
    }

    /** The limits in force: `{ maxInputBytes, maxEvents, maxStringBytes, maxBatch }`. */
    get limits() {
      return Object.fromEntries(Object.entries(LIMITS).map(([js, rust]) => [js, this.#limits[rust]]));
    }

    #call(f, input, what) {
      return guard(this.#build, this.#glue, () => f(bounded(text(input, what), this.#limits, what)));
    }

    async score(session) {
      return JSON.parse(await this.#call((t) => this.#inner.score(t), session, "session"));
    }

    async scoreBatch(sessions) {
      return JSON.parse(await this.#call((t) => this.#inner.scoreBatch(t), sessions, "sessions"));
    }

    scoreSync(session) {
      return JSON.parse(this.#call((t) => this.#inner.scoreSync(t), session, "session"));
    }

    scoreBatchSync(sessions) {
      return JSON.parse(this.#call((t) => this.#inner.scoreBatchSync(t), sessions, "sessions"));
    }

    /**
     * Drift of every session this scorer has scored from the training data: `{ report, counts }`,
     * the report holding each field's and the score's PSI, status (`stable`, `watch`, `act`),
     * unseen and missing shares; `counts` the bin counts behind it (aggregates only: a page or
     * an edge worker can send them without any event). `limits`: `{ watch, act }` (0.1, 0.25).
     */
    stats(limits = {}) {
      return JSON.parse(guard(this.#build, this.#glue, () => this.#inner.stats(limits.watch, limits.act)));
    }

    /** Forget the drift counts: a new monitoring period starts. */
    resetStats() {
      this.#inner.resetStats();
    }

    /**
     * The band of a result (or of a score): the policy's (`options.policy`), else `"allow"`
     * below the card's threshold and `"review"` from it on.
     */
    decide(result) {
      const score = typeof result === "number" ? result : result?.score;
      if (typeof score !== "number" || Number.isNaN(score)) {
        throw Object.assign(new TypeError("decide takes a result of score() or a score"), {
          code: "SEQRISK_BAD_OPTIONS",
        });
      }
      return this.#inner.decide(score);
    }

    free() {
      this.#inner.free();
    }
  };
}

/** Resolve `options.policy` (a policy file's TOML text) against the loaded model's card. */
function withPolicy(build, glue, inner, policy) {
  if (policy === undefined) return;
  if (typeof policy !== "string") {
    throw Object.assign(new TypeError("options.policy must be a policy file's TOML text"), {
      code: "SEQRISK_BAD_OPTIONS",
    });
  }
  try {
    guard(build, glue, () => inner.setPolicy(policy));
  } catch (e) {
    inner.free();
    throw e;
  }
}
