// seqrisk at the edge: POST a session as JSON, get its score and explanation back.
//
//   curl -X POST --data @session.json http://127.0.0.1:8080/
//   → {"id":"s1","score":0.93,"raw_score":0.91,"explanation":{…},"model":"nhfm","backend":"cpu","artifact":"5f1c…"}
//   curl http://127.0.0.1:8080/
//   → {"model":"nhfm","backend":"cpu","artifact":"5f1c…","limits":{…},"wasmMemoryBytes":…}
//
// The model loads once per isolate and is reused by every request it serves; `artifact` (the
// SHA-256 of the model file) says which deployment answered. Requests are
// bounded (body size, events, string length: LIMITS); bad ones get a JSON { error } saying
// why: 413 over a limit, 400 not JSON, 422 not a session of the model's schema.
import { Scorer } from "seqrisk/edge.js";
import wasm from "seqrisk/cpu.wasm";
import artifact from "model.seqrisk";

/**
 * What one request may hold. The body is read up to `maxInputBytes` and refused beyond it; the
 * scorer then refuses, while it reads the JSON, a session of more than `maxEvents` events or a
 * string of more than `maxStringBytes` bytes, before memory grows with it. The largest
 * request these admit keeps the isolate under 100 MB (tests/js/edge-memory.mjs measures it).
 */
const LIMITS = { maxInputBytes: 256 * 1024, maxEvents: 1000, maxStringBytes: 1024, maxBatch: 1 };

/** The HTTP status of each error code of the scorer. */
const STATUS = {
  SEQRISK_OVER_LIMIT: 413,
  SEQRISK_MALFORMED_JSON: 400,
  SEQRISK_BAD_SESSION: 422,
};

let loaded;

/** The scorer and the artifact's SHA-256 (hex), made on the isolate's first request. */
function model() {
  loaded ??= Promise.all([
    Scorer.create(artifact, { backend: "cpu", wasm: { cpu: wasm }, limits: LIMITS }),
    crypto.subtle.digest("SHA-256", artifact),
  ]).then(([scorer, digest]) => ({
    scorer,
    digest: Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join(""),
  }));
  return loaded;
}

function error(status, message) {
  return Response.json({ error: message }, { status });
}

/** Read at most `limit` bytes of the body, or undefined if it is longer. */
async function readBounded(request, limit) {
  const declared = Number(request.headers.get("content-length"));
  if (declared > limit) return undefined;
  const chunks = [];
  let size = 0;
  if (request.body) {
    for await (const chunk of request.body) {
      size += chunk.byteLength;
      if (size > limit) return undefined;
      chunks.push(chunk);
    }
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

export default {
  async fetch(request) {
    if (request.method === "GET") {
      // status: what is loaded, the limits, and the wasm memory it holds so far
      const { scorer: s, digest } = await model();
      return Response.json({
        model: s.model,
        backend: s.backend,
        artifact: digest,
        limits: s.limits,
        wasmMemoryBytes: s.memoryBytes,
      });
    }
    if (request.method !== "POST") {
      return error(405, 'POST a session as JSON: { "id": …, "events": [ … ] }');
    }
    const text = await readBounded(request, LIMITS.maxInputBytes);
    if (text === undefined) return error(413, `request body over ${LIMITS.maxInputBytes} bytes`);
    const { scorer: s, digest } = await model();
    try {
      // the text goes to the scorer as is: it reads the JSON within LIMITS
      const result = await s.score(text);
      return Response.json({ ...result, model: s.model, backend: s.backend, artifact: digest });
    } catch (e) {
      return error(STATUS[e.code] ?? 500, e.message);
    }
  },
};
