// The package's worker script is an entry point of its own (emitted as worker-entry.js beside
// the app, where `createWorkerScorer` looks for it), and wasm imports become files.
export default {
  entryPoints: { main: "./main.js", "worker-entry": "seqrisk/worker-entry" },
  bundle: true,
  format: "esm",
  loader: { ".wasm": "file" },
};
