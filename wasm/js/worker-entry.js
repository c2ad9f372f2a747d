// The script inside the scoring Web Worker started by `createWorkerScorer` (worker.js). It
// speaks the protocol typed in worker.d.ts: one reply per request, matched by `id`.
import { Scorer } from "./index.js";

let scorer;

async function handle(request) {
  switch (request.type) {
    case "init":
      scorer = await Scorer.create(request.artifact, request.options);
      return {
        model: scorer.model,
        backend: scorer.backend,
        fallbackReason: scorer.fallbackReason,
        card: scorer.card,
        limits: scorer.limits,
      };
    case "score":
      return ready().score(request.session);
    case "scoreBatch":
      return ready().scoreBatch(request.sessions);
    case "decide":
      return ready().decide(request.result);
    case "stats":
      return ready().stats(request.limits);
    case "resetStats":
      return ready().resetStats();
    default:
      throw new Error(`unknown request type ${JSON.stringify(request.type)}`);
  }
}

function ready() {
  if (!scorer) throw new Error("the worker has no model yet: send an init request first");
  return scorer;
}

self.onmessage = async ({ data }) => {
  try {
    self.postMessage({ id: data.id, ok: true, value: await handle(data) });
  } catch (e) {
    self.postMessage({ id: data.id, ok: false, error: e instanceof Error ? e.message : String(e), code: e?.code });
  }
};
