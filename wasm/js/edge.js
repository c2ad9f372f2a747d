// seqrisk for edge workers (Cloudflare workerd, Deno Deploy, …). These runtimes forbid compiling
// wasm from bytes at run time, so the CPU build comes in as a compiled `WebAssembly.Module` that
// the platform declared (workerd: a `wasm` module; wrangler: `CompiledWasm`):
//
//   import wasm from "seqrisk/cpu.wasm";
//   const scorer = await Scorer.create(artifact, { backend: "cpu", wasm: { cpu: wasm } });
import { defineScorer } from "./scorer.js";
import { initSync, Scorer as CpuScorer, takePanicMessage } from "./cpu/seqrisk_wasm.js";
export { webgpuUnavailableReason } from "./scorer.js";

function load(build, source) {
  if (build !== "cpu") throw new Error('the edge entry point carries the CPU build only; pass backend: "cpu"');
  if (!(source instanceof WebAssembly.Module)) {
    throw new Error(
      "options.wasm.cpu: pass the compiled WebAssembly.Module of seqrisk/cpu.wasm (edge runtimes cannot compile wasm at run time)",
    );
  }
  const { memory } = initSync({ module: source });
  return { Scorer: CpuScorer, takePanicMessage, memory };
}

export const Scorer = defineScorer(load);
