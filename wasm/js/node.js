// seqrisk for Node.js: the same Scorer, with the wasm builds read from this package's folder.
// Node has no WebGPU, so `backend: "auto"` runs on the CPU build and says so in `fallbackReason`.
import { readFile } from "node:fs/promises";
import { defineScorer } from "./scorer.js";
export { webgpuUnavailableReason } from "./scorer.js";

const builds = new Map();

function load(build, source) {
  if (!builds.has(build)) {
    const ready = (async () => {
      const m = build === "webgpu" ? await import("./webgpu/seqrisk_wasm.js") : await import("./cpu/seqrisk_wasm.js");
      const module = source ?? (await readFile(new URL(`./${build}/seqrisk_wasm_bg.wasm`, import.meta.url)));
      m.initSync({ module });
      return m;
    })();
    ready.catch(() => builds.delete(build));
    builds.set(build, ready);
  }
  return builds.get(build);
}

export const Scorer = defineScorer(load);
