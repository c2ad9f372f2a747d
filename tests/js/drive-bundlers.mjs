// The package as a frontend team ships it: `npm pack` of the built package, installed into a
// small app (bundlers/main.js and index.html) that Vite, webpack 5 and esbuild each build with the setup the
// package README gives (bundlers/<name>/), served and run in headless Chromium with and without
// WebGPU: the main-thread scorer and the Web Worker scorer on the fixture's sessions, for
// tests/tests/cross/browser.rs to compare with native.
//
//   node drive-bundlers.mjs <out.json> <fixture>
//
// <fixture> holds model.seqrisk and sessions.json. The report has, per bundler, the files its
// build emitted and, for `gpu` and `nogpu`, `{ main, worker }` (each `{ backend,
// fallbackReason, results }` or `{ error }`) and the page's console; or `{ error }` when the
// build failed. Env: SEQRISK_PKG (default wasm/pkg).
import { execFileSync } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { withPage } from "./drive-browser.mjs";
import { serve } from "./serve.mjs";

const here = fileURLToPath(new URL(".", import.meta.url));
const pkg = resolve(process.env.SEQRISK_PKG ?? resolve(here, "../../wasm/pkg"));
const [out, fixture] = process.argv.slice(2);
if (!out || !fixture) {
  console.error("usage: node drive-bundlers.mjs <out.json> <fixture>");
  process.exit(2);
}

/** Each bundler's build of the app in `app` into `app/dist`, through its Node API and the
 * configuration file in bundlers/<name>/. */
const BUILDS = {
  async vite(app) {
    const { build } = await import("vite");
    await build({ root: app, logLevel: "error", build: { outDir: "dist" } });
  },
  async webpack(app) {
    const { default: webpack } = await import("webpack");
    const { default: config } = await import(pathToFileURL(join(app, "webpack.config.js")));
    const stats = await new Promise((ok, fail) =>
      webpack({ ...config, context: app, output: { ...config.output, path: join(app, "dist") } }, (e, s) =>
        e ? fail(e) : ok(s),
      ),
    );
    if (stats.hasErrors()) throw new Error(stats.toString("errors-only"));
    await cp(join(app, "index.html"), join(app, "dist/index.html"));
  },
  async esbuild(app) {
    const esbuild = await import("esbuild");
    const { default: config } = await import(pathToFileURL(join(app, "esbuild.config.js")));
    await esbuild.build({ ...config, absWorkingDir: app, outdir: "dist", logLevel: "error" });
    await cp(join(app, "index.html"), join(app, "dist/index.html"));
  },
};

/** Every file under `dir`, relative to it. */
async function files(dir) {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

/** The built app at `origin`, run on the fixture in Chromium with or without WebGPU. */
function runIn(origin, webgpu) {
  return withPage(origin, webgpu, async (page, _requests, console) => {
    await page.waitForFunction(() => window.ready === true, null, { timeout: 60_000 });
    const value = await page.evaluate(async () => {
      const bytes = await (await fetch("/fixture/model.seqrisk")).arrayBuffer();
      const sessions = await (await fetch("/fixture/sessions.json")).json();
      return window.run(bytes, sessions);
    });
    return { ...value, console };
  });
}

const work = await mkdtemp(join(tmpdir(), "seqrisk-bundlers-"));
try {
  const [packed] = JSON.parse(
    execFileSync("npm", ["pack", pkg, "--pack-destination", work, "--json", "--silent"], { encoding: "utf8" }),
  );
  const tarball = join(work, packed.filename);
  const report = { tarball: packed.filename, bytes: packed.size };
  for (const [name, build] of Object.entries(BUILDS)) {
    const app = join(work, name);
    await cp(join(here, "bundlers", name), app, { recursive: true });
    for (const shared of ["main.js", "index.html"]) await cp(join(here, "bundlers", shared), join(app, shared));
    // the tarball installed as npm would (a package without dependencies: unpacked in place)
    const installed = join(app, "node_modules/seqrisk");
    await mkdir(installed, { recursive: true });
    execFileSync("tar", ["-xzf", tarball, "-C", installed, "--strip-components=1"]);
    try {
      await build(app);
    } catch (e) {
      report[name] = { error: String(e?.stack ?? e) };
      continue;
    }
    const dist = join(app, "dist");
    const { server, origin } = await serve({ "/fixture/": resolve(fixture), "/": dist });
    try {
      report[name] = { files: await files(dist), gpu: await runIn(origin, true), nogpu: await runIn(origin, false) };
    } finally {
      server.close();
    }
  }
  await writeFile(out, JSON.stringify(report));
} finally {
  await rm(work, { recursive: true, force: true });
}
