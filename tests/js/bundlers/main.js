// The small app each bundler builds from the packed package, as a new user would write it: the
// main-thread scorer and the Web Worker scorer on the same sessions. `wasm.js` is the one file
// that differs between bundlers (esbuild's names the wasm files it emits).
import { Scorer } from "seqrisk";
import { createWorkerScorer } from "seqrisk/worker";
import { wasm } from "./wasm.js";

/** What one scorer gives on `sessions`, or the error it threw. */
async function attempt(create, sessions) {
  let scorer;
  try {
    scorer = await create();
    const results = await scorer.scoreBatch(sessions);
    return { backend: scorer.backend, fallbackReason: scorer.fallbackReason ?? null, results };
  } catch (e) {
    return { error: String(e?.message ?? e) };
  } finally {
    scorer?.terminate?.();
    scorer?.free?.();
  }
}

window.run = async (bytes, sessions) => ({
  main: await attempt(() => Scorer.create(bytes, { wasm }), sessions),
  worker: await attempt(() => createWorkerScorer(bytes, { wasm }), sessions),
});
window.ready = true;
