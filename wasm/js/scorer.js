// The Scorer every entry point exports (index.js: browsers and bundlers, node.js: Node,
// edge.js: edge workers). Entry points differ only in how they load a wasm build: `load(build,
// source)` resolves to an initialised wasm-bindgen module for build "cpu" or "webgpu". Each
// build is loaded once per scope (a failed load is retried on the next create).

const BACKENDS = ["auto", "webgpu", "cpu"];

/** `undefined` if this runtime offers a WebGPU adapter, else why not. */
export async function webgpuUnavailableReason() {
  const gpu = globalThis.navigator?.gpu;
  if (!gpu) return "navigator.gpu is undefined: this runtime has no WebGPU";
  try {
    const adapter = await gpu.requestAdapter();
    return adapter ? undefined : "navigator.gpu.requestAdapter() gave no adapter (WebGPU disabled or the GPU is blocklisted)";
  } catch (e) {
    return `navigator.gpu.requestAdapter() failed: ${message(e)}`;
  }
}

function message(e) {
  return e instanceof Error ? e.message : String(e);
}

/** A wasm trap (a bug, never bad input) becomes a plain Error that says so. */
function guard(f) {
  try {
    const out = f();
    return out instanceof Promise ? out.catch((e) => Promise.reject(rethrow(e))) : out;
  } catch (e) {
    throw rethrow(e);
  }
}

function rethrow(e) {
  if (typeof WebAssembly !== "undefined" && e instanceof WebAssembly.RuntimeError) {
    return new Error(`seqrisk: internal error in the wasm scorer (${e.message}); please report it`);
  }
  return e instanceof Error ? e : new Error(String(e));
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
    #fallbackReason;
    #card;

    constructor(inner, fallbackReason, token) {
      if (token !== load) throw new TypeError("use `await Scorer.create(artifact, options)`");
      this.#inner = inner;
      this.#fallbackReason = fallbackReason;
    }

    static async create(artifact, options = {}) {
      const bytes = toBytes(artifact);
      const requested = options.backend ?? "auto";
      if (!BACKENDS.includes(requested)) {
        throw new Error(`options.backend: expected "auto", "webgpu" or "cpu", got ${JSON.stringify(requested)}`);
      }
      const sources = options.wasm ?? {};
      let reason;
      if (requested !== "cpu") {
        reason = await webgpuUnavailableReason();
        if (!reason) {
          try {
            const glue = await load("webgpu", sources.webgpu);
            const inner = await guard(() => glue.Scorer.create(bytes, requested));
            return new Scorer(inner, inner.fallbackReason, load);
          } catch (e) {
            if (requested === "webgpu") throw rethrow(e);
            reason = `WebGPU build failed: ${message(e)}`;
          }
        } else if (requested === "webgpu") {
          throw new Error(`WebGPU unavailable: ${reason}`);
        }
      }
      const glue = await load("cpu", sources.cpu);
      const inner = await guard(() => glue.Scorer.create(bytes, "cpu"));
      return new Scorer(inner, reason, load);
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

    async score(session) {
      return JSON.parse(await guard(() => this.#inner.score(text(session, "session"))));
    }

    async scoreBatch(sessions) {
      return JSON.parse(await guard(() => this.#inner.scoreBatch(text(sessions, "sessions"))));
    }

    scoreSync(session) {
      return JSON.parse(guard(() => this.#inner.scoreSync(text(session, "session"))));
    }

    scoreBatchSync(sessions) {
      return JSON.parse(guard(() => this.#inner.scoreBatchSync(text(sessions, "sessions"))));
    }

    free() {
      this.#inner.free();
    }
  };
}
