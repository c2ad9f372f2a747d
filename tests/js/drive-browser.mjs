// Headless Chromium (Debian's, through playwright-core): the package on WebGPU (SwiftShader),
// on the CPU when WebGPU is unavailable, in a Web Worker, and the capture helper. Every request
// the page or its workers make while scoring is recorded, so the test can assert there are none.
import { fileURLToPath } from "node:url";
import { launchChromium, serve } from "./serve.mjs";

/**
 * Run `body(page, requests, console)` on `${origin}/` in a fresh Chromium (with or without
 * WebGPU): `requests` every URL the page asks for, `console` its messages and page errors.
 */
export async function withPage(origin, webgpu, body) {
  const browser = await launchChromium({ webgpu });
  try {
    const context = await browser.newContext();
    const requests = [];
    context.on("request", (r) => requests.push(r.url()));
    const page = await context.newPage();
    const console = [];
    page.on("console", (m) => console.push(m.text()));
    page.on("pageerror", (e) => console.push(`pageerror: ${e.message}`));
    await page.goto(`${origin}/`);
    return await body(page, requests, console);
  } finally {
    await browser.close();
  }
}

/** Evaluate `f` in the page, returning the requests made meanwhile. */
async function watched(page, requests, f, arg) {
  requests.length = 0;
  const value = await page.evaluate(f, arg);
  return { value, requests: [...requests] };
}

const LOAD = async () => {
  window.seqrisk = await import("/pkg/index.js");
  window.worker = await import("/pkg/worker.js");
  window.capture = await import("/pkg/capture.js");
  window.bytes = await (await fetch("/fixture/model.seqrisk")).arrayBuffer();
  window.sessions = await (await fetch("/fixture/sessions.json")).json();
};

async function gpuBrowser(origin) {
  return withPage(origin, true, async (page, requests, console) => {
    await page.evaluate(LOAD);
    const created = await watched(page, requests, async () => {
      const explicit = await seqrisk.Scorer.create(bytes, { backend: "webgpu" });
      const auto = await seqrisk.Scorer.create(bytes);
      const inWorker = await worker.createWorkerScorer(bytes, { backend: "auto" });
      Object.assign(window, { explicit, auto, inWorker });
      return {
        webgpuUnavailableReason: (await seqrisk.webgpuUnavailableReason()) ?? null,
        explicit: explicit.backend,
        auto: auto.backend,
        autoFallbackReason: auto.fallbackReason ?? null,
        worker: inWorker.backend,
      };
    });
    const webgpu = await watched(page, requests, () => explicit.scoreBatch(sessions));
    const workerScores = await watched(page, requests, () => inWorker.scoreBatch(sessions));
    // the worker's bands and drift counts, as the main-thread scorer gives them
    const workerOps = await page.evaluate(async () => {
      const results = await inWorker.scoreBatch(sessions.slice(0, 3));
      const decisions = await Promise.all(results.map((r) => inWorker.decide(r)));
      try {
        const stats = await inWorker.stats();
        await inWorker.resetStats();
        const after = await inWorker.stats();
        return { decisions, sessions: stats.report.sessions, afterReset: after.report.sessions };
      } catch (e) {
        // the cluster model keeps no drift counts, and says so
        return { decisions, statsError: { code: e.code, message: e.message } };
      }
    });
    const syncOnGpu = await page.evaluate(() => {
      try {
        explicit.scoreSync(sessions[0]);
        return null;
      } catch (e) {
        return e.message;
      }
    });
    const badInput = await page.evaluate(async () => {
      try {
        await explicit.score({ id: "x", events: [{ ts: 1, amount: "lots" }] });
        return null;
      } catch (e) {
        return { isError: e instanceof Error, message: e.message };
      }
    });
    const capture = await captureRun(page, requests);
    return {
      created: created.value,
      loadRequests: created.requests,
      webgpu,
      worker: workerScores,
      workerOps,
      syncOnGpu,
      badInput,
      capture,
      console,
    };
  });
}

async function captureRun(page, requests) {
  await page.evaluate(async () => {
    window.cpu = await seqrisk.Scorer.create(bytes, { backend: "cpu" });
    let clock = 1_700_000_000_000;
    window.cap = capture.createCapture({
      sessionId: "captured",
      fields: { target: "target" },
      now: () => (clock += 1500),
    });
    window.small = capture.createCapture({ sessionId: "small", maxEvents: 3, record: { pageViews: false } });
  });
  requests.length = 0;
  await page.click("#buy");
  await page.click("#other");
  await page.fill("input[name=card]", "4111");
  await page.click("#send");
  await page.evaluate(() => cap.record("login", { result: "ok" }));
  const interactionRequests = [...requests];
  const scored = await watched(page, requests, async () => {
    return {
      session: cap.session(),
      score: await cap.score(cpu),
      small: small.events().length,
      smallDropped: small.dropped,
    };
  });
  return { ...scored.value, requests: [...interactionRequests, ...scored.requests] };
}

async function cpuBrowser(origin) {
  return withPage(origin, false, async (page, requests, console) => {
    await page.evaluate(LOAD);
    const created = await watched(page, requests, async () => {
      window.auto = await seqrisk.Scorer.create(bytes, { backend: "auto" });
      let webgpuError = null;
      try {
        await seqrisk.Scorer.create(bytes, { backend: "webgpu" });
      } catch (e) {
        webgpuError = e.message;
      }
      return { backend: auto.backend, fallbackReason: auto.fallbackReason ?? null, webgpuError };
    });
    const scores = await watched(page, requests, () => auto.scoreBatch(sessions));
    return { created: created.value, loadRequests: created.requests, cpu: scores, console };
  });
}

/** The policy of the strict-CSP page: scripts from the origin only, no eval, no inline code;
 * WebAssembly compilation is the one exception. */
const STRICT_CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'";

/** The package under STRICT_CSP (pages/csp.html runs pages/csp.js): every policy violation the
 * page reports, and the scores of "auto" (WebGPU here), the CPU backend and a CPU Web Worker. */
async function cspBrowser(origin) {
  return withPage(origin, true, async (page, requests, console) => {
    await page.goto(`${origin}/csp.html`);
    await page.waitForFunction(() => window.cspResult !== undefined, null, { timeout: 300_000 });
    const result = await page.evaluate(() => window.cspResult);
    return { policy: STRICT_CSP, ...result, console };
  });
}

export async function browser({ pkg, fixture }) {
  const pages = fileURLToPath(new URL("./pages/", import.meta.url));
  const headers = { "/csp.html": { "content-security-policy": STRICT_CSP } };
  const { server, origin } = await serve({ "/pkg/": pkg, "/fixture/": fixture, "/": pages }, headers);
  try {
    return { origin, gpu: await gpuBrowser(origin), nogpu: await cpuBrowser(origin), csp: await cspBrowser(origin) };
  } finally {
    server.close();
  }
}
