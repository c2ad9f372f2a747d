// What the browser drivers and the benchmark share: a static file server on 127.0.0.1 (a free
// port; `/pkg/` the built package, `/fixture/` the fixture folder, `/` the pages in ./pages) and
// Debian's headless Chromium, with or without WebGPU on SwiftShader.
import { createServer } from "node:http";
import { chromium } from "playwright-core";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";

const TYPES = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".css": "text/css",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

/** Serve `roots` (URL prefix → folder); `headers` maps a URL path to extra response headers
 * (the strict Content-Security-Policy page). */
export async function serve(roots, headers = {}) {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    const [prefix, dir] = Object.entries(roots).find(([p]) => path.startsWith(p)) ?? [];
    const rel = path.slice(prefix?.length ?? 0);
    const file = dir && normalize(join(dir, rel === "" || rel.endsWith("/") ? `${rel}index.html` : rel));
    try {
      const body = await readFile(file);
      res.writeHead(200, {
        "content-type": TYPES[extname(file)] ?? "application/octet-stream",
        ...(headers[path] ?? {}),
      });
      res.end(body);
    } catch {
      res.writeHead(404).end(`not found: ${path}`);
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}

// No background traffic: this machine's closed network refuses it, many times a start.
const QUIET = [
  "--no-sandbox",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
  "--no-first-run",
];
const WEBGPU = [
  "--enable-unsafe-webgpu",
  "--enable-features=Vulkan",
  "--use-vulkan=swiftshader",
  "--use-angle=swiftshader",
];

/** Launch headless Chromium (`CHROMIUM`, default /usr/bin/chromium); `webgpu: false` also
 * disables the GPU, so `navigator.gpu` gives no adapter. */
export function launchChromium({ webgpu }) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [...QUIET, ...(webgpu ? WEBGPU : ["--disable-gpu"])],
  });
}
