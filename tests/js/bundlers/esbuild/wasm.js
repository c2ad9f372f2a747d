// esbuild does not follow `new URL(…, import.meta.url)`: with `loader: { ".wasm": "file" }` these
// imports emit the two wasm files and give their URLs, which the scorers are given.
import cpu from "seqrisk/cpu.wasm";
import webgpu from "seqrisk/webgpu.wasm";

export const wasm = { cpu, webgpu };
