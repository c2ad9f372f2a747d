// seqrisk at the edge: POST a session as JSON, get its score and explanation back.
//
//   curl -X POST --data @session.json http://127.0.0.1:8080/
//   → {"id":"s1","score":0.93,"explanation":{…},"model":"nhfm","backend":"cpu"}
//
// The model loads once per isolate and is reused by every request it serves. Requests are
// bounded (body size, event count); bad ones get a 4xx with a JSON { error } saying why.
import { Scorer } from "seqrisk/edge.js";
import wasm from "seqrisk/cpu.wasm";
import artifact from "model.seqrisk";

/** Largest request body accepted, in bytes. */
const MAX_BODY_BYTES = 256 * 1024;
/** Most events a session may carry (the model reads only its last `max_events`). */
const MAX_EVENTS = 1000;

let scorer;

function model() {
  scorer ??= Scorer.create(artifact, { backend: "cpu", wasm: { cpu: wasm } });
  return scorer;
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
    if (request.method !== "POST") {
      return error(405, "POST a session as JSON: { \"id\": …, \"events\": [ … ] }");
    }
    const text = await readBounded(request, MAX_BODY_BYTES);
    if (text === undefined) return error(413, `request body over ${MAX_BODY_BYTES} bytes`);
    let session;
    try {
      session = JSON.parse(text);
    } catch (e) {
      return error(400, `malformed JSON: ${e.message}`);
    }
    if (typeof session !== "object" || session === null || !Array.isArray(session.events)) {
      return error(400, "expected a JSON object with an \"events\" array");
    }
    if (session.events.length > MAX_EVENTS) {
      return error(413, `${session.events.length} events; at most ${MAX_EVENTS} per session`);
    }
    const s = await model();
    try {
      const result = await s.score(session);
      return Response.json({ ...result, model: s.model, backend: s.backend });
    } catch (e) {
      return error(422, e.message);
    }
  },
};
