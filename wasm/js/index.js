// seqrisk for browsers and bundlers. Each wasm build is fetched on first use from next to this
// file (`new URL(..., import.meta.url)`, which Vite, webpack 5, esbuild and browsers resolve), so a
// page that never asks for WebGPU never downloads the WebGPU build.
import { defineScorer } from "./scorer.js";
export { webgpuUnavailableReason } from "./scorer.js";

const builds = new Map();

function load(build, source) {
  if (!builds.has(build)) {
    const glue = build === "webgpu" ? import("./webgpu/seqrisk_wasm.js") : import("./cpu/seqrisk_wasm.js");
    const ready = glue.then(async (m) => {
      await m.default(source === undefined ? undefined : { module_or_path: source });
      return m;
    });
    ready.catch(() => builds.delete(build));
    builds.set(build, ready);
  }
  return builds.get(build);
}

export const Scorer = defineScorer(load);
