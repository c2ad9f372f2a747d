// A panic inside the wasm scorer, through the JS package in Node, for
// tests/tests/cross/catalogue.rs:
//
//   node drive-panic.mjs <pkg> <artifact> <session.json> <out.json>
//
// <pkg> is the package with its CPU build replaced by the panic-probe build (scoring a session
// with id "seqrisk-panic-probe" panics). Scores the session, then the probe, then the session
// again (sync and async); <out.json> records each outcome: { ok, score } or { ok: false,
// isError, code, message, cause }.
import { readFile, writeFile } from "node:fs/promises";
import { resolve } from "node:path";

const [pkg, artifact, sessionPath, out] = process.argv.slice(2);
const { Scorer } = await import(resolve(pkg, "node.js"));
const scorer = await Scorer.create(await readFile(artifact), { backend: "cpu" });
const session = JSON.parse(await readFile(sessionPath, "utf8"));
const probe = { ...session, id: "seqrisk-panic-probe" };

async function outcome(f) {
  try {
    const r = await f();
    return { ok: true, score: r.score };
  } catch (e) {
    return {
      ok: false,
      isError: e instanceof Error,
      code: e?.code,
      message: String(e?.message ?? e),
      cause: String(e?.cause),
    };
  }
}

const results = {
  before: await outcome(() => scorer.score(session)),
  probe: await outcome(() => scorer.score(probe)),
  afterAsync: await outcome(() => scorer.score(session)),
  afterSync: await outcome(async () => scorer.scoreSync(session)),
};
await writeFile(out, JSON.stringify(results));
