// Load test of seqrisk's two serving examples, on loopback only: the edge worker
// (wasm/examples/edge-worker) in workerd and the Node service (wasm/examples/node-service).
//
//   node tests/js/load.mjs <fixture> <out.json> [--targets edge,node] [--concurrency 1,8,64]
//        [--requests 100000] [--swap-requests 20000] [--max-seconds 900]
//
// <fixture> holds model.seqrisk, swap.seqrisk (the model swapped in), sessions.json (a JSON
// array) and expected.json ({ "model": [...], "swap": [...] }: native scores of each session
// under each artifact). For each target and concurrency, `requests` POSTs cycle through the
// sessions from `concurrency` clients on keep-alive connections; every answer is checked
// against native (the session's id, and its score under the artifact the answer names, within
// 1e-5): an answer that is not is wrong, a request with no answer is dropped. The server's
// resident memory is sampled every 200 ms. Then, under the largest concurrency, the artifact is
// swapped when half of `swap-requests` are answered: the Node service reloads it
// (POST /reload); for workerd a second instance with the new artifact takes the new requests
// while the first drains (as an edge platform rolls out a version). The answers are counted by
// the artifact that gave them, and none sent after the swap completed may come from the old. Each phase stops at its count or at
// `max-seconds`, whichever comes first. Env: SEQRISK_PKG (default wasm/pkg).
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFile, mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from "node:fs/promises";
import http from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { exampleCopy, start as startWorkerd } from "./drive-edge.mjs";

const here = fileURLToPath(new URL(".", import.meta.url));
const TOLERANCE = 1e-5;

const { positionals, values: opts } = parseArgs({
  allowPositionals: true,
  options: {
    targets: { type: "string", default: "edge,node" },
    concurrency: { type: "string", default: "1,8,64" },
    requests: { type: "string", default: "100000" },
    "swap-requests": { type: "string", default: "20000" },
    "max-seconds": { type: "string", default: "900" },
  },
});
const [fixture, out] = positionals;
if (!fixture || !out) {
  console.error("usage: node load.mjs <fixture> <out.json> [--targets edge,node] [--concurrency 1,8,64] …");
  process.exit(2);
}
const pkg = resolve(process.env.SEQRISK_PKG ?? resolve(here, "../../wasm/pkg"));
const sessions = JSON.parse(await readFile(resolve(fixture, "sessions.json"), "utf8"));
const bodies = sessions.map((s) => JSON.stringify(s));
const expectedFile = JSON.parse(await readFile(resolve(fixture, "expected.json"), "utf8"));
const digest = async (name) =>
  createHash("sha256")
    .update(await readFile(resolve(fixture, name)))
    .digest("hex");
const artifacts = { model: await digest("model.seqrisk"), swap: await digest("swap.seqrisk") };
/** Native scores by the artifact (SHA-256) an answer names. */
const expected = { [artifacts.model]: expectedFile.model, [artifacts.swap]: expectedFile.swap };
const counts = opts.concurrency.split(",").map(Number);
const requests = Number(opts.requests);
const swapRequests = Number(opts["swap-requests"]);
const maxMs = Number(opts["max-seconds"]) * 1000;

/** Resident memory of a process, in bytes (Linux /proc). */
async function rss(pid) {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  const kb = /VmRSS:\s+(\d+) kB/.exec(status);
  return kb ? Number(kb[1]) * 1024 : undefined;
}

/** A keep-alive HTTP client of `origin`: (method, path, body) → { status, body }. */
function client(origin) {
  const agent = new http.Agent({ keepAlive: true });
  const { hostname, port } = new URL(origin);
  const call = (method, path, body) =>
    new Promise((resolveCall, reject) => {
      const headers =
        body === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(body) };
      const request = http.request({ hostname, port, path, method, agent, headers }, (response) => {
        const chunks = [];
        response.on("data", (c) => chunks.push(c));
        response.on("error", reject);
        response.on("end", () => {
          try {
            resolveCall({ status: response.statusCode, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) });
          } catch (e) {
            reject(e);
          }
        });
      });
      request.on("error", reject);
      request.end(body);
    });
  call.close = () => agent.destroy();
  return call;
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/**
 * `n` requests from `concurrency` clients; `swap` (optional) is called once, without waiting,
 * when half are answered, and resolves when the new artifact is serving.
 */
async function phase(server, concurrency, n, swap) {
  const latency = new Float64Array(n).fill(Number.NaN);
  const tally = { answered: 0, wrong: 0, dropped: 0, byArtifact: {}, problems: [] };
  const memory = [];
  let next = 0;
  let done = 0;
  let swapped; // when the swap was seen through: requests sent after it must get the new model
  let swapping;
  let oldAfterSwap = 0;
  const sample = async () => memory.push({ answered: done, rssBytes: await rss(server.pid()) });
  await sample();
  const timer = setInterval(sample, 200);
  const started = performance.now();
  const problem = (what) => tally.problems.length < 5 && tally.problems.push(what);
  async function loop() {
    while (next < n && performance.now() - started < maxMs) {
      const k = next++;
      const i = k % sessions.length;
      const afterSwap = swapped !== undefined;
      const t0 = performance.now();
      try {
        const r = await server.request("POST", server.scorePath, bodies[i]);
        latency[k] = performance.now() - t0;
        const want = r.status === 200 ? expected[r.body.artifact]?.[i] : undefined;
        if (want === undefined || r.body.id !== sessions[i].id || !(Math.abs(r.body.score - want) <= TOLERANCE)) {
          tally.wrong += 1;
          problem({ request: k, session: sessions[i].id, status: r.status, body: r.body, expected: want });
        } else {
          tally.answered += 1;
          tally.byArtifact[r.body.artifact] = (tally.byArtifact[r.body.artifact] ?? 0) + 1;
          if (afterSwap && r.body.artifact !== artifacts.swap) oldAfterSwap += 1;
        }
      } catch (e) {
        tally.dropped += 1;
        problem({ request: k, session: sessions[i].id, error: String(e?.code ?? e?.message ?? e) });
      }
      done += 1;
      if (swap && done === Math.floor(n / 2)) {
        const t = performance.now();
        swapping = swap().then((info) => {
          swapped = { ...info, ms: performance.now() - t, atRequest: next };
        });
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, loop));
  const seconds = (performance.now() - started) / 1000;
  if (swapping) await swapping;
  clearInterval(timer);
  await sample();
  const sorted = Array.from(latency.filter((x) => !Number.isNaN(x))).sort((a, b) => a - b);
  const sent = next;
  // resident memory once a tenth of the requests are answered (warm) and at the end
  const warm = memory.find((m) => m.answered >= sent / 10) ?? memory[0];
  // resident memory after each tenth of the answers: a leak climbs, a warming heap levels off
  const tenths = Array.from({ length: 10 }, (_, t) => {
    const at = memory.find((m) => m.answered >= ((t + 1) * sent) / 10) ?? memory[memory.length - 1];
    return at.rssBytes;
  });
  // what the server says it holds (wasm linear memory; the Node service's JS heap too)
  const status = await server.request("GET", server.statusPath).then(
    (r) => r.body,
    (e) => ({ error: String(e) }),
  );
  const last = memory[memory.length - 1];
  const peak = Math.max(...memory.map((m) => m.rssBytes ?? 0));
  const result = {
    concurrency,
    requests: sent,
    ...tally,
    seconds,
    throughput: done / seconds,
    latencyMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] },
    memory: {
      startBytes: memory[0].rssBytes,
      warmBytes: warm.rssBytes,
      endBytes: last.rssBytes,
      peakBytes: peak,
      growthAfterWarmBytes: last.rssBytes - warm.rssBytes,
      byTenthBytes: tenths,
      samples: memory.length,
    },
    status,
  };
  if (swap) result.swap = { ...swapped, oldAnswersAfterSwap: oldAfterSwap };
  return result;
}

/** Replace `path` by `source` as a deployment does: a new file renamed over the old. */
async function deploy(source, path) {
  await copyFile(source, `${path}.next`);
  await rename(`${path}.next`, path);
}

/**
 * The edge worker in workerd. A swap is deployed as an edge platform rolls out a version: a
 * second workerd with the new artifact starts, new requests go to it once it listens, and the
 * first finishes the requests it holds (it is stopped at the end). `workerd --watch`, the
 * development reload, restarts the server and refuses connections meanwhile: not a way to
 * deploy.
 */
async function edgeServer() {
  const first = await exampleCopy(pkg, resolve(fixture, "model.seqrisk"));
  const instances = [{ ...first, ...(await startWorkerd(join(first.dir, "config.capnp"))) }];
  let call = client(instances[0].origin);
  return {
    name: "workerd",
    scorePath: "/",
    statusPath: "/",
    request: (...args) => call(...args),
    pid: () => instances[instances.length - 1].child.pid,
    async swap() {
      const next = await exampleCopy(pkg, resolve(fixture, "swap.seqrisk"));
      instances.push({ ...next, ...(await startWorkerd(join(next.dir, "config.capnp"))) });
      call = client(instances[instances.length - 1].origin);
      return { how: "a second workerd with the new artifact takes the new requests; the first drains" };
    },
    async stop() {
      call.close();
      for (const { child, root } of instances) {
        child.kill("SIGTERM");
        await rm(root, { recursive: true, force: true });
      }
    },
  };
}

async function nodeServer() {
  const root = await mkdtemp(join(tmpdir(), "seqrisk-service-"));
  await mkdir(join(root, "node_modules"));
  await symlink(pkg, join(root, "node_modules", "seqrisk"));
  const example = fileURLToPath(new URL("../../wasm/examples/node-service/server.mjs", import.meta.url));
  await copyFile(example, join(root, "server.mjs"));
  const model = join(root, "model.seqrisk");
  await copyFile(resolve(fixture, "model.seqrisk"), model);
  const child = spawn(process.execPath, [join(root, "server.mjs"), "--artifact", model, "--port", "0"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const origin = await new Promise((resolveStart, reject) => {
    let buffered = "";
    child.stdout.on("data", (chunk) => {
      buffered += chunk;
      const line = buffered.split("\n")[0];
      if (buffered.includes("\n")) resolveStart(JSON.parse(line).listening);
    });
    child.on("exit", (code) => reject(new Error(`the service exited with ${code} before listening`)));
  });
  const call = client(origin);
  return {
    name: "node",
    scorePath: "/score",
    statusPath: "/status",
    request: call,
    pid: () => child.pid,
    async swap() {
      await deploy(resolve(fixture, "swap.seqrisk"), model);
      const r = await call("POST", "/reload");
      if (r.status !== 200 || r.body.artifact !== artifacts.swap) throw new Error(`reload: ${JSON.stringify(r)}`);
      return { how: "POST /reload" };
    },
    /** A reload of a file that is not an artifact, then a request: who answers it. */
    async badSwap() {
      await writeFile(`${model}.next`, "not an artifact");
      await rename(`${model}.next`, model);
      const reload = await call("POST", "/reload");
      const after = await call("POST", "/score", bodies[0]);
      return { reload, status: after.status, answeredBy: after.body.artifact };
    },
    async stop() {
      call.close();
      child.kill("SIGTERM");
      await rm(root, { recursive: true, force: true });
    },
  };
}

const report = {
  node: process.version,
  sessions: sessions.length,
  artifacts,
  tolerance: TOLERANCE,
  requestsPerPhase: requests,
  swapRequests,
  maxSeconds: maxMs / 1000,
  targets: {},
};
for (const name of opts.targets.split(",")) {
  const server = await (name === "edge" ? edgeServer() : nodeServer());
  try {
    const phases = [];
    for (const c of counts) {
      phases.push(await phase(server, c, requests));
      console.error(JSON.stringify({ target: name, ...phases[phases.length - 1], problems: undefined }));
    }
    const swap = await phase(server, Math.max(...counts), swapRequests, () => server.swap());
    console.error(JSON.stringify({ target: name, swap: swap.swap, answered: swap.answered, dropped: swap.dropped }));
    report.targets[name] = { server: server.name, phases, swap, badSwap: await server.badSwap?.() };
  } finally {
    await server.stop();
  }
}
await writeFile(out, JSON.stringify(report, null, 2));
