# workerd configuration of the seqrisk edge worker example.
#
#   scripts/build-wasm.sh                          # builds wasm/pkg
#   cp seqrisk-out/nhfm.seqrisk wasm/examples/edge-worker/model.seqrisk
#   npx workerd serve wasm/examples/edge-worker/config.capnp
#
# workerd forbids compiling wasm at run time, so the CPU build is declared as a `wasm` module
# and the artifact as a `data` module; both are read when the isolate starts.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "seqrisk", worker = .worker)],
  sockets = [(name = "http", address = "127.0.0.1:8080", http = (), service = "seqrisk")],
);

const worker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "seqrisk/edge.js", esModule = embed "../../pkg/edge.js"),
    (name = "seqrisk/scorer.js", esModule = embed "../../pkg/scorer.js"),
    (name = "seqrisk/cpu/seqrisk_wasm.js", esModule = embed "../../pkg/cpu/seqrisk_wasm.js"),
    (name = "seqrisk/cpu.wasm", wasm = embed "../../pkg/cpu/seqrisk_wasm_bg.wasm"),
    (name = "model.seqrisk", data = embed "model.seqrisk"),
  ],
  compatibilityDate = "2026-11-01",
);
