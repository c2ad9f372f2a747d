// The bad-input catalogue (tests/data/bad-inputs.json) through the JS package in Node, for
// tests/tests/cross/catalogue.rs:
//
//   node drive-catalogue.mjs <cases.json> <out.json>
//
// <cases.json>: { "artifact": "<path of a good artifact>", "cases": [ { "name", "session": "<JSON
// text>", "limits"? } | { "name", "artifact": "<path>" } ] }. Each session is scored by a scorer
// of the good artifact (with the case's limits, if any), each artifact loaded with Scorer.create;
// <out.json> maps every name to { "ok": true, "score" } or { "ok": false, "isError": <an Error
// instance>, "message", "code" }. Env: SEQRISK_PKG.
import { readFile, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const pkg = resolve(process.env.SEQRISK_PKG ?? resolve(here, "../../wasm/pkg"));
const [casesPath, out] = process.argv.slice(2);
const { artifact, cases } = JSON.parse(await readFile(casesPath, "utf8"));
const { Scorer } = await import(resolve(pkg, "node.js"));
const good = await readFile(artifact);
const scorers = new Map();
/** A scorer of the good artifact with `limits` (snake_case, as the catalogue writes them). */
async function scorerWith(limits) {
  const key = JSON.stringify(limits ?? null);
  if (!scorers.has(key)) {
    const camel =
      limits &&
      Object.fromEntries(Object.entries(limits).map(([k, v]) => [k.replace(/_(.)/g, (_, c) => c.toUpperCase()), v]));
    scorers.set(key, await Scorer.create(good, { backend: "cpu", limits: camel ?? undefined }));
  }
  return scorers.get(key);
}

const results = {};
for (const c of cases) {
  try {
    if (c.session !== undefined) {
      const r = await (await scorerWith(c.limits)).score(c.session);
      results[c.name] = { ok: true, score: r.score };
    } else {
      const s = await Scorer.create(await readFile(c.artifact), { backend: "cpu" });
      results[c.name] = { ok: true, score: null, model: s.model };
    }
  } catch (e) {
    results[c.name] = { ok: false, isError: e instanceof Error, message: String(e?.message ?? e), code: e?.code };
  }
}
await writeFile(out, JSON.stringify(results));
