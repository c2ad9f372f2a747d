// Drives seqrisk's JavaScript package in real runtimes for the Rust tests in
// tests/tests/cross/js.rs, which compare what comes back with native scores.
//
//   node drive.mjs node    <fixture> <out.json>   Node, package entry node.js
//   node drive.mjs browser <fixture> <out.json>   headless Chromium: WebGPU (SwiftShader), CPU
//                                                  fallback, Web Worker, capture helper
//   node drive.mjs edge    <fixture> <out.json>   workerd running wasm/examples/edge-worker
//
// <fixture> holds model.seqrisk and sessions.json (a JSON array). Env: SEQRISK_PKG (default
// wasm/pkg), CHROMIUM (default /usr/bin/chromium).
import { readFile, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { browser } from "./drive-browser.mjs";
import { edge } from "./drive-edge.mjs";

const here = fileURLToPath(new URL(".", import.meta.url));
const pkg = resolve(process.env.SEQRISK_PKG ?? resolve(here, "../../wasm/pkg"));
const [mode, fixture, out] = process.argv.slice(2);
const artifact = await readFile(resolve(fixture, "model.seqrisk"));
const sessions = JSON.parse(await readFile(resolve(fixture, "sessions.json"), "utf8"));

async function node() {
  const { Scorer } = await import(resolve(pkg, "node.js"));
  const scorer = await Scorer.create(artifact, { backend: "auto" });
  const results = await scorer.scoreBatch(sessions);
  const sync = scorer.scoreSync(sessions[0]);
  let badInput;
  try {
    await scorer.score('{"id":"x","events":[{"ts":1,"amount":"lots"}]}');
  } catch (e) {
    badInput = { isError: e instanceof Error, message: e.message };
  }
  let badBackend;
  try {
    await Scorer.create(artifact, { backend: "tpu" });
  } catch (e) {
    badBackend = e.message;
  }
  // bands: the fixture's policy file (targets of the card), and without one allow / review
  const policy = await readFile(resolve(fixture, "policy.toml"), "utf8").catch(() => undefined);
  const banded = policy && (await Scorer.create(artifact, { policy }));
  let badPolicy;
  try {
    await Scorer.create(artifact, { policy: '[[band]]\nname = "a"\n[[band]]\nname = "b"\nfrom = "fpr:42%"\n' });
  } catch (e) {
    badPolicy = { code: e.code, message: e.message };
  }
  // drift counts; the cluster model keeps no monitoring reference, and says so
  let stats;
  try {
    stats = scorer.stats();
  } catch (e) {
    stats = { code: e.code, message: e.message };
  }
  return {
    stats,
    backend: scorer.backend,
    fallbackReason: scorer.fallbackReason,
    model: scorer.model,
    results,
    sync,
    badInput,
    badBackend,
    decisions: banded && results.map((r) => banded.decide(r)),
    defaultDecisions: results.map((r) => scorer.decide(r)),
    badPolicy,
  };
}

const drivers = {
  node,
  browser: () => browser({ pkg, fixture, sessions }),
  edge: () => edge({ pkg, fixture, sessions }),
};
if (!drivers[mode]) {
  console.error(`usage: node drive.mjs <${Object.keys(drivers).join("|")}> <fixture> <out.json>`);
  process.exit(2);
}
await writeFile(out, JSON.stringify(await drivers[mode]()));
