// The web demo from its built static files in headless Chromium (Debian's, through
// playwright-core), as a visitor uses it: a normal shopping flow with human-paced clicks, the
// replays of the planted patterns, the model picker, a phone-width view, the keyboard, and the
// same replay on WebGPU (SwiftShader) and on the CPU. Console errors and every request made while
// scoring are recorded; screenshots go to the folder given.
//
// Usage: node drive-demo.mjs <dist> <report.json> <screenshots dir>
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { launchChromium, serve } from "./serve.mjs";

const [dist, reportPath, shots] = process.argv.slice(2);
if (!shots) {
  console.error("usage: node drive-demo.mjs <dist> <report.json> <screenshots dir>");
  process.exit(2);
}

async function withPage(origin, { webgpu, query, viewport = { width: 1280, height: 1000 }, clock }, body) {
  const browser = await launchChromium({ webgpu });
  try {
    const context = await browser.newContext({ viewport });
    const requests = [];
    context.on("request", (r) => requests.push(r.url()));
    const page = await context.newPage();
    const errors = [];
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
    if (clock) await page.clock.install({ time: clock });
    await page.goto(`${origin}/?${query}`);
    await page.waitForSelector("body[data-ready=true][data-state=idle]", { timeout: 120_000 });
    return await body(page, requests, errors);
  } finally {
    await browser.close();
  }
}

const idle = (page) => page.waitForSelector("body[data-state=idle]", { timeout: 180_000 });

/** What the risk panel shows now. */
function panel(page) {
  return page.evaluate(() => {
    const g = document.getElementById("gauge");
    return {
      score: Number(g.dataset.score),
      events: Number(g.dataset.events),
      threshold: Number(g.dataset.threshold),
      verdict: document.getElementById("verdict").textContent,
      backend: document.getElementById("backend").dataset.backend ?? null,
      badge: document.getElementById("backend").textContent,
      weightRows: [...document.querySelectorAll("#weights g[data-event]")].map((r) => ({
        event: Number(r.getAttribute("data-event")),
        label: r.querySelector(".bar-label")?.textContent ?? "",
        highlight: r.classList.contains("row-highlight"),
      })),
      fields: [...document.querySelectorAll("#fields .bar-label")].map((t) => t.textContent),
      fieldsShown: document.getElementById("fields-block").checkVisibility(),
      cardShown: document.querySelectorAll("#card-body dt").length,
      mapShown: document.getElementById("map-block").checkVisibility(),
      mapDots: document.querySelectorAll("#map circle[data-label]").length,
      mapPoint: JSON.parse(document.getElementById("map").dataset.point ?? "null"),
      mapYou: document.querySelectorAll("#map #map-you").length,
      clusterVerdict: document.getElementById("cluster-verdict")?.textContent ?? null,
      clusterRules: [...document.querySelectorAll("#cluster-rules li")].map((li) => li.textContent),
      rocShown: document.querySelectorAll("#card-body svg").length,
      weightsShown: document.getElementById("weights-block").checkVisibility(),
      sessionsShown: document.getElementById("sessions-block").checkVisibility(),
      sessionColumns: [...document.querySelectorAll("#sessions g[data-first]")].map((g) => ({
        first: Number(g.dataset.first),
        last: Number(g.dataset.last),
        highlight: g.classList.contains("row-highlight"),
      })),
      sessionsListed: [...document.querySelectorAll("#sessions-top li")].map((li) => Number(li.dataset.session)),
      merchantsShown: document.getElementById("merchants-block").checkVisibility(),
      merchantRows: [...document.querySelectorAll("#merchants g[data-merchant]")].map((g) => ({
        merchant: Number(g.dataset.merchant),
        label: g.querySelector(".bar-label")?.textContent ?? "",
        highlight: g.classList.contains("row-highlight"),
      })),
      paymentColumns: [...document.querySelectorAll("#payments g[data-event]")].map((g) => Number(g.dataset.event)),
      liveShown: document.getElementById("live").checkVisibility(),
      scenarioNote: document.getElementById("scenario-note").textContent,
      replayButtons: [...document.querySelectorAll("#replay-buttons button")]
        .filter((b) => b.checkVisibility())
        .map((b) => b.id),
    };
  });
}

async function replay(page, requests, pattern) {
  requests.length = 0;
  await page.click(`#replay-${pattern}`);
  await page.waitForSelector("body[data-replay=done]", { timeout: 180_000 });
  await idle(page);
  return { ...(await panel(page)), requests: [...requests] };
}

/** A visitor shops at a human pace (the page's clock moves 4–9 s between steps). */
async function normalFlow(page, requests) {
  requests.length = 0;
  const pause = (s) => page.clock.fastForward(s * 1000);
  await pause(5);
  await page.click("#login-submit");
  for (const [selector, seconds] of [
    ["a[href='#catalog']", 6],
    ["a[href='#product/headphones']", 9],
    ["#add-to-cart", 7],
    ["a[href='#catalog']", 5],
    ["a[href='#product/charger']", 8],
    ["#add-to-cart", 6],
    ["a[href='#checkout']", 5],
    ["#pay", 20],
  ]) {
    await pause(seconds);
    await page.click(selector);
    await idle(page);
  }
  await idle(page);
  return { ...(await panel(page)), requests: [...requests] };
}

async function main() {
  await mkdir(shots, { recursive: true });
  const { server, origin } = await serve({ "/": dist });
  const report = {};
  try {
    // CPU (no WebGPU): the visitor's own flow, at 14:00 UTC
    report.normal = await withPage(
      origin,
      { webgpu: false, query: "step=0", clock: new Date("2026-11-26T14:00:00Z") },
      async (page, requests, errors) => {
        const flow = await normalFlow(page, requests);
        await page.screenshot({ path: join(shots, "normal-flow.png"), fullPage: true });
        return { ...flow, errors };
      },
    );
    // CPU: the replays, the picker, the keyboard, a phone
    report.cpu = await withPage(origin, { webgpu: false, query: "step=0" }, async (page, requests, errors) => {
      const out = { start: await panel(page) };
      out.account_takeover = await replay(page, requests, "account_takeover");
      await page.screenshot({ path: join(shots, "replay-account-takeover.png"), fullPage: true });
      out.card_testing = await replay(page, requests, "card_testing");
      out.legit = await replay(page, requests, "legit");
      // the keyboard alone starts a replay
      await page.focus("#replay-scripted_bot");
      requests.length = 0;
      await page.keyboard.press("Enter");
      await page.waitForSelector("body[data-replay=done]", { timeout: 180_000 });
      await idle(page);
      out.scripted_bot = { ...(await panel(page)), requests: [...requests] };
      // every model of the picker
      const files = await page.$$eval("#model option", (os) => os.map((o) => o.value));
      out.models = {};
      for (const file of files.slice(1)) {
        await page.selectOption("#model", file);
        await page.waitForFunction(
          (f) => document.getElementById("model").value === f && !document.getElementById("model").disabled,
          file,
          { timeout: 120_000 },
        );
        await idle(page);
        // the first risky replay the model offers: account takeover for the fraud models, an
        // applicant who went overdue for HUIHEN, a user who defaulted for LBSF
        const loaded = await panel(page);
        const pattern = (
          await page.$eval("#replay-buttons button[data-risky=true]:not([hidden])", (b) => b.id)
        ).replace(/^replay-/, "");
        out.models[file] = { loaded, pattern, ...(await replay(page, requests, pattern)) };
        await page.screenshot({
          path: join(shots, `replay-${pattern.replaceAll("_", "-")}-${file.replace(/\.seqrisk$/, "")}.png`),
          fullPage: true,
        });
      }
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(200);
      out.phone = await page.evaluate(() => ({
        scrollWidth: document.documentElement.scrollWidth,
        innerWidth: window.innerWidth,
      }));
      await page.screenshot({ path: join(shots, "phone.png"), fullPage: true });
      out.errors = errors;
      return out;
    });
    // WebGPU on SwiftShader: "auto" picks it; the same replay
    report.gpu = await withPage(origin, { webgpu: true, query: "step=0" }, async (page, requests, errors) => {
      const out = { start: await panel(page) };
      out.account_takeover = await replay(page, requests, "account_takeover");
      await page.screenshot({ path: join(shots, "replay-account-takeover-webgpu.png"), fullPage: true });
      out.errors = errors;
      return out;
    });
  } finally {
    server.close();
  }
  await writeFile(reportPath, JSON.stringify(report, null, 2));
}

await main();
