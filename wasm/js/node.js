// seqrisk for Node.js: the same Scorer, with the wasm builds read from this package's folder.
// Node has no WebGPU, so `backend: "auto"` runs on the CPU build and says so in `fallbackReason`.
import { readFile } from "node:fs/promises";
import { defineScorer } from "./scorer.js";
export { webgpuUnavailableReason } from "./scorer.js";

async function load(build, source) {
  const m = build === "webgpu" ? await import("./webgpu/seqrisk_wasm.js") : await import("./cpu/seqrisk_wasm.js");
  const { memory } = m.initSync({
    module: source ?? (await readFile(new URL(`./${build}/seqrisk_wasm_bg.wasm`, import.meta.url))),
  });
  return { Scorer: m.Scorer, takePanicMessage: m.takePanicMessage, memory };
}

export const Scorer = defineScorer(load);
