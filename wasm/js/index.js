// seqrisk for browsers and bundlers. Each wasm build is fetched on first use from next to its
// glue (`new URL(..., import.meta.url)`, which browsers, Vite and webpack 5 resolve; esbuild
// leaves it alone, so an esbuild app passes `options.wasm`, see README.md), so a page that never
// asks for WebGPU never downloads the WebGPU build.
import { defineScorer } from "./scorer.js";
export { webgpuUnavailableReason } from "./scorer.js";

async function load(build, source) {
  const m = build === "webgpu" ? await import("./webgpu/seqrisk_wasm.js") : await import("./cpu/seqrisk_wasm.js");
  const { memory } = await m.default(source === undefined ? undefined : { module_or_path: source });
  return { Scorer: m.Scorer, takePanicMessage: m.takePanicMessage, memory };
}

export const Scorer = defineScorer(load);
