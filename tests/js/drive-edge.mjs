// workerd (Cloudflare's runtime, from npm) serving wasm/examples/edge-worker with the fixture's
// model: POST each session, then the bad requests the worker must turn away with a 4xx.
import { spawn } from "node:child_process";
import { copyFile, mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const example = fileURLToPath(new URL("../../wasm/examples/edge-worker/", import.meta.url));

/** Start workerd; resolves to its origin once the control fd reports the listening port. */
function start(config) {
  const bin = createRequire(import.meta.url).resolve("workerd/bin/workerd");
  const child = spawn(bin, ["serve", config, "--socket-addr", "http=127.0.0.1:0", "--control-fd", "3"], {
    stdio: ["ignore", "inherit", "inherit", "pipe"],
  });
  return new Promise((resolveStart, reject) => {
    let buffered = "";
    child.stdio[3].on("data", (chunk) => {
      buffered += chunk;
      for (const line of buffered.split("\n").slice(0, -1)) {
        const event = JSON.parse(line);
        if (event.event === "listen" && event.socket === "http") resolveStart({ child, origin: `http://127.0.0.1:${event.port}` });
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

export async function edge({ pkg, fixture, sessions }) {
  // config.capnp embeds ../../pkg/…: rebuild that layout around a copy of the example.
  const root = await mkdtemp(join(tmpdir(), "seqrisk-edge-"));
  const dir = join(root, "examples", "edge-worker");
  await mkdir(dir, { recursive: true });
  for (const f of ["worker.js", "config.capnp"]) await copyFile(join(example, f), join(dir, f));
  await copyFile(resolve(fixture, "model.seqrisk"), join(dir, "model.seqrisk"));
  await symlink(pkg, join(root, "pkg"));
  const { child, origin } = await start(join(dir, "config.capnp"));
  try {
    const started = performance.now();
    const results = [];
    for (const s of sessions) results.push(await post(origin, JSON.stringify(s)));
    const elapsedMs = performance.now() - started;
    const big = { ...sessions[0], events: Array.from({ length: 1001 }, (_, i) => ({ ...sessions[0].events[0], ts: i })) };
    const rejected = {
      oversized: await post(origin, "x".repeat(300 * 1024)),
      tooManyEvents: await post(origin, JSON.stringify(big)),
      malformed: await post(origin, '{"id": "s", "events": [}'),
      notASession: await post(origin, "[1, 2]"),
      badField: await post(origin, JSON.stringify({ id: "x", events: [{ ts: 1, amount: "lots" }] })),
      get: await fetch(origin).then(async (r) => ({ status: r.status, body: await r.json() })),
    };
    return { results, rejected, elapsedMs };
  } finally {
    child.kill("SIGTERM");
    await rm(root, { recursive: true, force: true });
  }
}
