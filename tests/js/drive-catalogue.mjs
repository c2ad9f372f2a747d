// The bad-input catalogue (tests/data/bad-inputs.json) through the JS package in Node, for
// tests/tests/cross/catalogue.rs:
//
//   node drive-catalogue.mjs <cases.json> <out.json>
//
// <cases.json>: { "artifact": "<path of a good artifact>", "cases": [ { "name", "session": "<JSON
// text>" } | { "name", "artifact": "<path>" } ] }. Each session is scored by a scorer of the good
// artifact, each artifact loaded with Scorer.create; <out.json> maps every name to { "ok": true,
// "score" } or { "ok": false, "isError": <an Error instance>, "message" }. Env: SEQRISK_PKG.
import { readFile, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const pkg = resolve(process.env.SEQRISK_PKG ?? resolve(here, "../../wasm/pkg"));
const [casesPath, out] = process.argv.slice(2);
const { artifact, cases } = JSON.parse(await readFile(casesPath, "utf8"));
const { Scorer } = await import(resolve(pkg, "node.js"));
const scorer = await Scorer.create(await readFile(artifact), { backend: "cpu" });

const results = {};
for (const c of cases) {
  try {
    if (c.session !== undefined) {
      const r = await scorer.score(c.session);
      results[c.name] = { ok: true, score: r.score };
    } else {
      const s = await Scorer.create(await readFile(c.artifact), { backend: "cpu" });
      results[c.name] = { ok: true, score: null, model: s.model };
    }
  } catch (e) {
    results[c.name] = { ok: false, isError: e instanceof Error, message: String(e?.message ?? e) };
  }
}
await writeFile(out, JSON.stringify(results));
