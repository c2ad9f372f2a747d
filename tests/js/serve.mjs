// A static file server on 127.0.0.1 (a free port) for the browser drivers: `/pkg/` is the built
// package (wasm/pkg), `/fixture/` the test's fixture folder, `/` the test pages in ./pages.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";

const TYPES = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".wasm": "application/wasm",
  ".json": "application/json",
};

export async function serve(roots) {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    const [prefix, dir] = Object.entries(roots).find(([p]) => path.startsWith(p)) ?? [];
    const rel = path.slice(prefix?.length ?? 0);
    const file = dir && normalize(join(dir, rel === "" || rel.endsWith("/") ? `${rel}index.html` : rel));
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404).end(`not found: ${path}`);
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}
