// Every model on WebGPU: headless Chromium (WebGPU on SwiftShader) scores each fixture's
// sessions with its model on the WebGPU build, for tests/tests/cross/browser.rs to compare with
// native.
//
//   node drive-gpu-models.mjs <out.json> <fixture> [<fixture> …]
//
// Each <fixture> holds model.seqrisk and sessions.json. The report has, per fixture in order,
// `{ model, backend, results }` or `{ error: { code, message } }`, and the page's console.
// Env: SEQRISK_PKG (default wasm/pkg).
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { withPage } from "./drive-browser.mjs";
import { serve } from "./serve.mjs";

const here = fileURLToPath(new URL(".", import.meta.url));
const pkg = resolve(process.env.SEQRISK_PKG ?? resolve(here, "../../wasm/pkg"));
const [out, ...fixtures] = process.argv.slice(2);
if (!out || fixtures.length === 0) {
  console.error("usage: node drive-gpu-models.mjs <out.json> <fixture> [<fixture> …]");
  process.exit(2);
}
// the first matching prefix serves a path: the catch-all "/" last
const roots = { "/pkg/": pkg };
fixtures.forEach((f, i) => (roots[`/f${i}/`] = resolve(f)));
roots["/"] = fileURLToPath(new URL("./pages/", import.meta.url));
const { server, origin } = await serve(roots);
try {
  const report = await withPage(origin, true, async (page, _requests, console) => {
    const models = [];
    for (let i = 0; i < fixtures.length; i += 1) {
      models.push(
        await page.evaluate(async (dir) => {
          const seqrisk = await import("/pkg/index.js");
          const bytes = await (await fetch(`${dir}/model.seqrisk`)).arrayBuffer();
          const sessions = await (await fetch(`${dir}/sessions.json`)).json();
          try {
            const scorer = await seqrisk.Scorer.create(bytes, { backend: "webgpu" });
            const results = await scorer.scoreBatch(sessions);
            const report = { model: scorer.model, backend: scorer.backend, results };
            scorer.free();
            return report;
          } catch (e) {
            return { error: { code: e.code ?? null, message: String(e.message ?? e) } };
          }
        }, `/f${i}`),
      );
    }
    return { models, console };
  });
  await writeFile(out, JSON.stringify(report));
} finally {
  server.close();
}
