// Runs in pages/csp.html, served with a strict Content-Security-Policy: load the package the way
// a page would, score the fixture on "auto" (WebGPU when available), on the CPU and in a CPU Web
// Worker, and publish the scores with every policy violation the page reported.
const violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  violations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline code"}`);
});

// proof that the policy is in force: eval is refused (its violation is reported as "eval")
const evalBlocked = (() => {
  try {
    new Function("return 1")();
    return false;
  } catch {
    return true;
  }
})();

async function run() {
  const seqrisk = await import("/pkg/index.js");
  const { createWorkerScorer } = await import("/pkg/worker.js");
  const bytes = await (await fetch("/fixture/model.seqrisk")).arrayBuffer();
  const sessions = await (await fetch("/fixture/sessions.json")).json();
  const auto = await seqrisk.Scorer.create(bytes);
  const cpu = await seqrisk.Scorer.create(bytes, { backend: "cpu" });
  const inWorker = await createWorkerScorer(bytes, { backend: "cpu" });
  const result = {
    backend: auto.backend,
    fallbackReason: auto.fallbackReason ?? null,
    worker: inWorker.backend,
    auto: await auto.scoreBatch(sessions),
    cpu: await cpu.scoreBatch(sessions),
    workerScores: await inWorker.scoreBatch(sessions),
  };
  inWorker.terminate();
  return result;
}

run().then(
  (r) => {
    window.cspResult = { ...r, evalBlocked, violations };
  },
  (e) => {
    window.cspResult = { error: String(e?.message ?? e), evalBlocked, violations };
  },
);
