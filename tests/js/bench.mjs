// Benchmarks of the `seqrisk` package (scripts/bench-wasm.sh runs them; numbers go to the README):
//
//   node bench.mjs prepare <gen.jsonl> <sessions.jsonl> [events=50]   sessions of exactly N events
//   node bench.mjs run <artifact> <sessions.jsonl> <native.json> <out.json>
//
// `run` measures bundle sizes (raw and gzip, each build), single-session latency p50/p99 and
// batched throughput on the CPU build in Node and in headless Chromium, and the WebGPU build in
// Chromium (SwiftShader here: a functional figure, not a speed claim), and writes them with the
// native figures (`seqrisk-bench latency`) and wasm/native ratios into one JSON file. Each call is
// timed from a session's JSON text to its score and explanation, as natively.
import { readFile, writeFile } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium, serve } from "./serve.mjs";

const here = fileURLToPath(new URL(".", import.meta.url));
const pkg = resolve(process.env.SEQRISK_PKG ?? resolve(here, "../../wasm/pkg"));
const CALLS = 2000;
const WARMUP = 100;
const BATCH = 256;
const BATCHES = 20;

/** Concatenate generated sessions' events (timestamps shifted to stay increasing) into
 * sessions of exactly `n` events. */
async function prepare(input, output, n = 50) {
  const sessions = (await readFile(input, "utf8"))
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  const out = [];
  let pool = [];
  for (const s of sessions) {
    pool.push(...s.events);
    if (pool.length < n) continue;
    const events = pool.slice(0, n);
    const t0 = events[0].ts;
    let last = t0;
    events.forEach((e, i) => {
      last = Math.max(last + 1, t0 + i, e.ts);
      e.ts = last;
    });
    out.push(JSON.stringify({ ...s, id: `bench-${out.length}`, events }));
    pool = [];
  }
  await writeFile(output, out.join("\n") + "\n");
  console.error(`${out.length} sessions of ${n} events → ${output}`);
}

// The timing loop, run both in Node and (serialised) in the page.
async function measure(scorer, texts, { calls, warmup, batch, batches, asyncOnly }) {
  const one = asyncOnly ? (t) => scorer.score(t) : (t) => scorer.scoreSync(t);
  const many = asyncOnly ? (t) => scorer.scoreBatch(t) : (t) => scorer.scoreBatchSync(t);
  for (let i = 0; i < warmup; i++) await one(texts[i % texts.length]);
  const samples = [];
  for (let i = 0; i < calls; i++) {
    const start = performance.now();
    await one(texts[i % texts.length]);
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  const at = (q) => samples[Math.round((samples.length - 1) * q)];
  const batchText = `[${Array.from({ length: batch }, (_, i) => texts[i % texts.length]).join(",")}]`;
  await many(batchText);
  const start = performance.now();
  for (let i = 0; i < batches; i++) await many(batchText);
  const seconds = (performance.now() - start) / 1000;
  return {
    backend: scorer.backend,
    single: { calls, p50_ms: at(0.5), p99_ms: at(0.99), mean_ms: samples.reduce((a, b) => a + b, 0) / calls },
    batched: { batch, batches, sessions_per_s: (batch * batches) / seconds },
  };
}

async function sizes() {
  const out = {};
  for (const build of ["cpu", "webgpu"]) {
    const wasm = await readFile(resolve(pkg, build, "seqrisk_wasm_bg.wasm"));
    const glue = await readFile(resolve(pkg, build, "seqrisk_wasm.js"));
    out[build] = {
      wasm_bytes: wasm.length,
      wasm_gzip_bytes: gzipSync(wasm, { level: 9 }).length,
      glue_js_bytes: glue.length,
      glue_js_gzip_bytes: gzipSync(glue, { level: 9 }).length,
    };
  }
  return out;
}

async function inNode(artifact, texts, opts) {
  const { Scorer } = await import(resolve(pkg, "node.js"));
  return measure(await Scorer.create(artifact, { backend: "cpu" }), texts, opts);
}

async function inChromium(artifactPath, texts, opts) {
  const dir = fileURLToPath(new URL("./pages/", import.meta.url));
  const fixture = resolve(artifactPath, "..");
  const { server, origin } = await serve({ "/pkg/": pkg, "/fixture/": fixture, "/": dir });
  const browser = await launchChromium({ webgpu: true });
  try {
    const page = await browser.newPage();
    await page.goto(`${origin}/`);
    const name = artifactPath.slice(fixture.length + 1);
    return await page.evaluate(
      async ({ name, texts, opts, measureSrc }) => {
        const measure = (0, eval)(`(${measureSrc})`);
        const { Scorer } = await import("/pkg/index.js");
        const bytes = await (await fetch(`/fixture/${name}`)).arrayBuffer();
        const cpu = await measure(await Scorer.create(bytes, { backend: "cpu" }), texts, opts);
        const gpuScorer = await Scorer.create(bytes, { backend: "webgpu" });
        const webgpu = await measure(gpuScorer, texts, { ...opts, calls: 20, warmup: 2, batches: 2, asyncOnly: true });
        return { cpu, webgpu, userAgent: navigator.userAgent };
      },
      { name, texts, opts, measureSrc: measure.toString() },
    );
  } finally {
    await browser.close();
    server.close();
  }
}

async function run(artifactPath, sessionsPath, nativePath, out) {
  const artifact = await readFile(artifactPath);
  const texts = (await readFile(sessionsPath, "utf8")).split("\n").filter(Boolean);
  const native = JSON.parse(await readFile(nativePath, "utf8"));
  const opts = { calls: CALLS, warmup: WARMUP, batch: BATCH, batches: BATCHES, asyncOnly: false };
  const node = await inNode(artifact, texts, opts);
  const browser = await inChromium(resolve(artifactPath), texts, opts);
  const events = JSON.parse(texts[0]).events.length;
  const ratio = (wasm) => ({
    p50_vs_native: wasm.single.p50_ms / native.single.p50_ms,
    throughput_vs_native: wasm.batched.sessions_per_s / native.batched.sessions_per_s,
  });
  const report = {
    sessions: texts.length,
    events_per_session: events,
    bundle: await sizes(),
    native,
    node_cpu: { ...node, ...ratio(node) },
    chromium_cpu: { ...browser.cpu, ...ratio(browser.cpu) },
    chromium_webgpu: {
      ...browser.webgpu,
      note: "SwiftShader (software Vulkan): a functional figure, not a GPU speed claim",
    },
    chromium: browser.userAgent,
    node: process.version,
  };
  await writeFile(out, JSON.stringify(report, null, 2) + "\n");
  console.log(JSON.stringify(report, null, 2));
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === "prepare") await prepare(args[0], args[1], Number(args[2] ?? 50));
else if (cmd === "run") await run(...args);
else {
  console.error(
    "usage: node bench.mjs prepare <gen.jsonl> <out.jsonl> [events] | run <artifact> <sessions.jsonl> <native.json> <out.json>",
  );
  process.exit(2);
}
