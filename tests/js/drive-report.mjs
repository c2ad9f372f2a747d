// `seqrisk eval --report`'s HTML in headless Chromium (Debian's, through playwright-core),
// opened from its file: every console message and page error, every request (a self-contained
// report makes none beyond its own file: its images are data: URIs), and what the page shows.
//
// Usage: node drive-report.mjs <report.html> <out.json> [screenshot.png]
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { launchChromium } from "./serve.mjs";

const [html, out, shot] = process.argv.slice(2);
if (!out) {
  console.error("usage: node drive-report.mjs <report.html> <out.json> [screenshot.png]");
  process.exit(2);
}
const url = pathToFileURL(resolve(html)).href;
const browser = await launchChromium({ webgpu: false });
try {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const requests = [];
  context.on("request", (r) => requests.push(r.url()));
  const page = await context.newPage();
  const console = [];
  page.on("console", (m) => console.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => console.push(`pageerror: ${e.message}`));
  await page.goto(url, { waitUntil: "load" });
  const shown = await page.evaluate(() => ({
    title: document.title,
    headings: [...document.querySelectorAll("h2")].map((h) => h.textContent),
    images: [...document.images].map((i) => ({ alt: i.alt, loaded: i.complete && i.naturalWidth > 0 })),
    tables: document.querySelectorAll("table").length,
    scripts: document.scripts.length,
  }));
  if (shot) await page.screenshot({ path: shot, fullPage: true });
  await writeFile(out, JSON.stringify({ url, requests: requests.filter((r) => r !== url), console, ...shown }));
} finally {
  await browser.close();
}
