// Serve a folder over HTTP on 127.0.0.1 — the demo's static files are all it needs (any static
// host works the same). Usage: node web-demo/serve.mjs [folder=web-demo/dist] [port=8080]
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, resolve, sep } from "node:path";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

const root = resolve(process.argv[2] ?? "web-demo/dist");
const port = Number(process.argv[3] ?? 8080);

const server = createServer(async (req, res) => {
  const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
  const file = normalize(join(root, path.endsWith("/") ? `${path}index.html` : path));
  if (file !== root && !file.startsWith(root + sep)) {
    res.writeHead(403).end("forbidden");
    return;
  }
  try {
    const body = await readFile(file);
    res.writeHead(200, {
      "content-type": TYPES[extname(file)] ?? "application/octet-stream",
      "cache-control": "no-cache",
    });
    res.end(body);
  } catch {
    res.writeHead(404, { "content-type": "text/plain" }).end(`not found: ${path}`);
  }
});

server.listen(port, "127.0.0.1", () => {
  console.log(`seqrisk demo: http://127.0.0.1:${server.address().port}/  (serving ${root}; Ctrl-C stops)`);
});
