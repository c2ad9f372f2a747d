// Score off the main thread: `createWorkerScorer` starts a module Web Worker running
// worker-entry.js, loads the model there, and returns a scorer whose calls are messages.

/** @returns {Promise<WorkerScorer>} */
export async function createWorkerScorer(artifact, options = {}) {
  const { workerUrl, ...scorerOptions } = options;
  // the literal `new Worker(new URL("…", import.meta.url), …)` is what Vite and webpack look for
  // to emit the worker's script: an expression in its place hides it from them
  const worker =
    workerUrl === undefined
      ? new Worker(new URL("./worker-entry.js", import.meta.url), { type: "module" })
      : new Worker(workerUrl, { type: "module" });
  const scorer = new WorkerScorer(worker);
  try {
    const info = await scorer.request({ type: "init", artifact, options: scorerOptions });
    scorer.model = info.model;
    scorer.backend = info.backend;
    scorer.fallbackReason = info.fallbackReason;
    scorer.card = info.card;
    scorer.limits = info.limits;
  } catch (e) {
    scorer.terminate();
    throw e;
  }
  return scorer;
}

export class WorkerScorer {
  #worker;
  #next = 0;
  #pending = new Map();

  constructor(worker) {
    this.#worker = worker;
    worker.onmessage = ({ data }) => {
      const pending = this.#pending.get(data.id);
      if (!pending) return;
      this.#pending.delete(data.id);
      if (data.ok) pending.resolve(data.value);
      else pending.reject(Object.assign(new Error(data.error), data.code ? { code: data.code } : {}));
    };
    worker.onerror = (event) => {
      event.preventDefault?.();
      this.#failAll(new Error(`seqrisk worker failed: ${event.message ?? "could not start the worker script"}`));
    };
  }

  request(message) {
    return new Promise((resolve, reject) => {
      const id = this.#next++;
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ ...message, id });
    });
  }

  score(session) {
    return this.request({ type: "score", session });
  }

  scoreBatch(sessions) {
    return this.request({ type: "scoreBatch", sessions });
  }

  /** The band of a result or a score (the policy of `options.policy`, else allow / review). */
  decide(result) {
    return this.request({ type: "decide", result: typeof result === "number" ? result : { score: result?.score } });
  }

  /** Drift of every session the worker has scored: `{ report, counts }`. */
  stats(limits = {}) {
    return this.request({ type: "stats", limits });
  }

  /** Forget the worker's drift counts. */
  resetStats() {
    return this.request({ type: "resetStats" });
  }

  terminate() {
    this.#worker.terminate();
    this.#failAll(new Error("the seqrisk worker was terminated"));
  }

  #failAll(error) {
    for (const { reject } of this.#pending.values()) reject(error);
    this.#pending.clear();
  }
}
