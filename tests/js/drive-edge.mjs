// workerd (Cloudflare's runtime, from npm) serving wasm/examples/edge-worker with the fixture's
// model: POST each session, then the bad requests the worker must turn away with a 4xx.
import { spawn } from "node:child_process";
import { copyFile, mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const example = fileURLToPath(new URL("../../wasm/examples/edge-worker/", import.meta.url));

/**
 * Start workerd (with `extra` flags such as `--watch`); resolves to its origin once the control
 * fd reports the listening port.
 */
export function start(config, extra = []) {
  const bin = createRequire(import.meta.url).resolve("workerd/bin/workerd");
  const child = spawn(bin, ["serve", config, "--socket-addr", "http=127.0.0.1:0", "--control-fd", "3", ...extra], {
    stdio: ["ignore", "inherit", "inherit", "pipe"],
  });
  return new Promise((resolveStart, reject) => {
    let buffered = "";
    child.stdio[3].on("data", (chunk) => {
      buffered += chunk;
      for (const line of buffered.split("\n").slice(0, -1)) {
        const event = JSON.parse(line);
        if (event.event === "listen" && event.socket === "http")
          resolveStart({ child, origin: `http://127.0.0.1:${event.port}` });
      }
      buffered = buffered.slice(buffered.lastIndexOf("\n") + 1);
    });
    child.on("exit", (code) => reject(new Error(`workerd exited with ${code} before listening`)));
  });
}

async function post(origin, body, headers = {}) {
  const response = await fetch(origin, { method: "POST", body, headers });
  return { status: response.status, body: await response.json() };
}

/**
 * The JSON of a session with as many events `event(i, pad)` as fit in `maxBytes` (at most
 * `maxEvents`), each padded with `pad` to share the bytes evenly.
 */
function fill(maxBytes, maxEvents, event) {
  const one = JSON.stringify(event(0, "")).length + 1;
  const n = Math.min(maxEvents, Math.floor((maxBytes - 64) / one));
  const pad = "p".repeat(Math.max(0, Math.floor((maxBytes - 64) / n) - one - 8));
  const text = JSON.stringify({ id: "largest", events: Array.from({ length: n }, (_, i) => event(i, pad)) });
  if (text.length > maxBytes) throw new Error(`fill: ${text.length} bytes is over ${maxBytes}`);
  return text;
}

/**
 * A copy of the example serving `artifact`, in the layout its config.capnp embeds (../../pkg/…):
 * `{ root, dir }`, the example's folder being `dir`.
 */
export async function exampleCopy(pkg, artifact) {
  const root = await mkdtemp(join(tmpdir(), "seqrisk-edge-"));
  const dir = join(root, "examples", "edge-worker");
  await mkdir(dir, { recursive: true });
  for (const f of ["worker.js", "config.capnp"]) await copyFile(join(example, f), join(dir, f));
  await copyFile(artifact, join(dir, "model.seqrisk"));
  await symlink(pkg, join(root, "pkg"));
  return { root, dir };
}

export async function edge({ pkg, fixture, sessions }) {
  const { root, dir } = await exampleCopy(pkg, resolve(fixture, "model.seqrisk"));
  const { child, origin } = await start(join(dir, "config.capnp"));
  try {
    const started = performance.now();
    const results = [];
    for (const s of sessions) results.push(await post(origin, JSON.stringify(s)));
    const elapsedMs = performance.now() - started;
    const status = () => fetch(origin).then(async (r) => ({ status: r.status, body: await r.json() }));
    const loaded = await status();
    const { limits } = loaded.body;
    const first = sessions[0].events[0];
    const big = {
      ...sessions[0],
      events: Array.from({ length: limits.maxEvents + 1 }, (_, i) => ({ ...first, ts: i })),
    };
    const rejected = {
      oversized: await post(origin, "x".repeat(limits.maxInputBytes + 1)),
      tooManyEvents: await post(origin, JSON.stringify(big)),
      longString: await post(
        origin,
        JSON.stringify({ id: "x", events: [{ ...first, event_type: "y".repeat(limits.maxStringBytes + 1) }] }),
      ),
      malformed: await post(origin, '{"id": "s", "events": [}'),
      notASession: await post(origin, "[1, 2]"),
      badField: await post(origin, JSON.stringify({ id: "x", events: [{ ts: 1, amount: "lots" }] })),
      put: await fetch(origin, { method: "PUT", body: "{}" }).then(async (r) => ({
        status: r.status,
        body: await r.json(),
      })),
    };
    // the largest requests the limits admit: the most events, and the most long strings, that
    // fit in the body limit; then the wasm memory they left the isolate holding
    const largest = {
      events: fill(limits.maxInputBytes, limits.maxEvents, (i, pad) => ({ ...first, ts: i, note: pad })),
      strings: fill(limits.maxInputBytes, limits.maxEvents, (i) => ({
        ...first,
        ts: i,
        event_type: "z".repeat(limits.maxStringBytes),
      })),
    };
    const accepted = {};
    for (const [name, body] of Object.entries(largest)) {
      accepted[name] = { bytes: body.length, events: JSON.parse(body).events.length, ...(await post(origin, body)) };
    }
    const after = await status();
    return {
      results,
      rejected,
      accepted,
      memory: { loaded: loaded.body.wasmMemoryBytes, largest: after.body.wasmMemoryBytes },
      limits,
      elapsedMs,
    };
  } finally {
    child.kill("SIGTERM");
    await rm(root, { recursive: true, force: true });
  }
}
