// Nothing seqrisk needs: webpack 5 emits the wasm files and the worker's script by itself.
export default { mode: "production", entry: "./main.js", output: { filename: "main.js" } };
