// seqrisk as a Node scoring service: POST a session as JSON, get its score back; swap the model
// without dropping a request.
//
//   npm install seqrisk        # or ./wasm/pkg after scripts/build-wasm.sh
//   node server.mjs --artifact model.seqrisk [--port 8080] [--host 127.0.0.1]
//   curl -X POST --data @session.json http://127.0.0.1:8080/score
//   → {"id":"s1","score":0.93,"raw_score":0.91,"explanation":{…},"model":"nhfm","artifact":"5f1c…"}
//   curl http://127.0.0.1:8080/status
//   → {"model":"nhfm","artifact":"5f1c…","served":…,"inFlight":…,"rssBytes":…,…}
//   cp new.seqrisk model.seqrisk.tmp && mv model.seqrisk.tmp model.seqrisk
//   curl -X POST http://127.0.0.1:8080/reload      (or: kill -HUP <pid>)
//
// A swap loads the artifact file again beside the model in use and switches to it only once it
// has loaded: a request is answered by the model that was current when it arrived (its answer
// names that artifact), a bad file leaves the running model in place and says why, and the old
// model is freed when its last request is answered. Requests are bounded as in the edge worker
// (LIMITS); bad ones get a JSON { error }: 413 over a limit, 400 not JSON, 422 not a session of
// the model's schema. On SIGTERM or SIGINT the service stops accepting and exits once every
// request in flight is answered. Its first line on standard output is JSON naming its address.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { Scorer } from "seqrisk";

const LIMITS = { maxInputBytes: 256 * 1024, maxEvents: 1000, maxStringBytes: 1024, maxBatch: 1 };

/** The HTTP status of each error code of the scorer. */
const STATUS = {
  SEQRISK_OVER_LIMIT: 413,
  SEQRISK_MALFORMED_JSON: 400,
  SEQRISK_BAD_SESSION: 422,
};

const { values: args } = parseArgs({
  options: {
    artifact: { type: "string" },
    port: { type: "string", default: "8080" },
    host: { type: "string", default: "127.0.0.1" },
  },
});
if (!args.artifact) {
  console.error("usage: node server.mjs --artifact model.seqrisk [--port 8080] [--host 127.0.0.1]");
  process.exit(2);
}

/** A loaded model: its scorer, the artifact's SHA-256 (hex) and its requests in flight. */
async function load(path) {
  const bytes = await readFile(path);
  const scorer = await Scorer.create(bytes, { backend: "cpu", limits: LIMITS });
  return { scorer, artifact: createHash("sha256").update(bytes).digest("hex"), inFlight: 0, retired: false };
}

let current = await load(args.artifact);
let served = 0;
let swaps = 0;
let swapping;

/** Free a model that is no longer current once its last request is answered. */
function release(model) {
  if (model.retired && model.inFlight === 0) model.scorer.free();
}

/** Load the artifact file again and make it current; one swap at a time. */
function reload() {
  swapping ??= load(args.artifact)
    .then((next) => {
      const previous = current;
      current = next;
      swaps += 1;
      previous.retired = true;
      release(previous);
      return { artifact: next.artifact, previous: previous.artifact, model: next.scorer.model };
    })
    .finally(() => {
      swapping = undefined;
    });
  return swapping;
}

function send(response, status, body) {
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  response.end(text);
}

/** The body as text, or undefined past `limit` bytes. */
async function readBounded(request, limit) {
  if (Number(request.headers["content-length"]) > limit) return undefined;
  const chunks = [];
  let size = 0;
  for await (const chunk of request) {
    size += chunk.length;
    if (size > limit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size).toString("utf8");
}

async function score(request, response) {
  // the model current on arrival answers, even if a swap completes while the body is read
  const model = current;
  model.inFlight += 1;
  try {
    const text = await readBounded(request, LIMITS.maxInputBytes);
    if (text === undefined) return send(response, 413, { error: `request body over ${LIMITS.maxInputBytes} bytes` });
    const result = await model.scorer.score(text);
    served += 1;
    send(response, 200, { ...result, model: model.scorer.model, artifact: model.artifact });
  } catch (e) {
    const status = STATUS[e?.code];
    if (status === undefined) throw e;
    send(response, status, { error: e.message });
  } finally {
    model.inFlight -= 1;
    release(model);
  }
}

function status() {
  const memory = process.memoryUsage();
  return {
    model: current.scorer.model,
    artifact: current.artifact,
    served,
    swaps,
    inFlight: current.inFlight,
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
    wasmMemoryBytes: current.scorer.memoryBytes,
  };
}

const loopback = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1"]);

const server = createServer((request, response) => {
  const route = `${request.method} ${request.url}`;
  const handled =
    route === "POST /score"
      ? score(request, response)
      : route === "GET /status"
        ? Promise.resolve(send(response, 200, status()))
        : route === "POST /reload" && loopback.has(request.socket.remoteAddress)
          ? reload().then(
              (swapped) => send(response, 200, swapped),
              (e) => send(response, 500, { error: `kept ${current.artifact}: ${e.message}` }),
            )
          : Promise.resolve(send(response, 404, { error: "POST /score, GET /status, POST /reload (loopback)" }));
  handled.catch((e) => {
    console.error(e);
    if (!response.headersSent) send(response, 500, { error: "internal error" });
  });
});
server.keepAliveTimeout = 60_000;

process.on("SIGHUP", () => {
  reload().then(
    (s) => console.error(`swapped ${s.previous} for ${s.artifact}`),
    (e) => console.error(`kept ${current.artifact}: ${e.message}`),
  );
});
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
  });
}

server.listen(Number(args.port), args.host, () => {
  const { address, port } = server.address();
  console.log(
    JSON.stringify({ listening: `http://${address}:${port}`, model: current.scorer.model, artifact: current.artifact }),
  );
});
