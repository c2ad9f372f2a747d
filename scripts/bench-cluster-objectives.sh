#!/usr/bin/env bash
# FinDeepBehaviorCluster's two sequence-network objectives side by side (never run by CI):
# `seqrisk cluster` on the default generated data, seeds 1-5, with `--next-event every-step`
# (the paper's Eq. 3: a decoder with the attention fed back predicts every next page) and
# `--next-event last` (the last page from the embedding alone), clustering the embedding alone
# and the hybrid vectors. Writes docs/benchmarks/cluster-next-event.{json,md}: per run, the
# share of the clustered fraudulent sessions that land in risky clusters, the fraud density of
# those clusters, and the induction evaluation's fingerprint precision, recall and F-score on
# the later sessions; mean ± 95% CI over the seeds.
#
#   scripts/bench-cluster-objectives.sh [SEEDS]     default SEEDS: "1 2 3 4 5"
set -euo pipefail
cd "$(dirname "$0")/.."
seeds="${1:-1 2 3 4 5}"
out=seqrisk-out/cluster-next-event
mkdir -p "$out"
cargo build --release -p native
for representation in embedding hybrid; do
  for objective in every-step last; do
    for seed in $seeds; do
      dir="$out/$representation-$objective-$seed"
      if [ ! -f "$dir/cluster.json" ]; then
        echo "== $representation, $objective, seed $seed"
        target/release/seqrisk cluster --seed "$seed" --next-event "$objective" \
          --representation "$representation" --quiet -o "$dir" > "$dir.log" 2>&1
      fi
    done
  done
done
python3 - "$out" "$seeds" <<'EOF'
import json, math, statistics, sys
out, seeds = sys.argv[1], [int(s) for s in sys.argv[2].split()]
T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}

def ci(xs):
    m = statistics.mean(xs)
    h = T95.get(len(xs) - 1, 1.96) * statistics.stdev(xs) / math.sqrt(len(xs)) if len(xs) > 1 else 0.0
    return m, h

rows, runs = [], []
for representation in ("embedding", "hybrid"):
    for objective in ("every-step", "last"):
        per = []
        for seed in seeds:
            d = json.load(open(f"{out}/{representation}-{objective}-{seed}/cluster.json"))
            clusters = d["report"]["clusters"]
            positives = d["report"]["positives"]
            risky = [c for c in clusters if c["risky"]]
            caught = sum(c["positives"] for c in risky)
            size = sum(c["size"] for c in risky)
            fp = next(m for m in d["induction"]["methods"] if m["method"].startswith("fingerprints"))
            run = {
                "representation": representation,
                "next_event": objective,
                "seed": seed,
                "loss": d["report"]["epoch_losses"][-1],
                "risky_clusters": len(risky),
                "fraud_in_risky": caught / positives if positives else 0.0,
                "risky_density": caught / size if size else 0.0,
                "precision": fp["precision"],
                "recall": fp["recall"],
                "f_score": fp["f_score"],
                "training_seconds": d["report"]["seconds"][0],
            }
            per.append(run)
            runs.append(run)
        row = {"representation": representation, "next_event": objective}
        for key in ("fraud_in_risky", "risky_density", "precision", "recall", "f_score", "training_seconds"):
            row[key] = ci([r[key] for r in per])
        rows.append(row)

json.dump({"seeds": seeds, "runs": runs, "summary": rows}, open("docs/benchmarks/cluster-next-event.json", "w"), indent=1)
md = [
    "# FinDeepBehaviorCluster: the sequence network's objective",
    "",
    "`scripts/bench-cluster-objectives.sh`: `seqrisk cluster` on the default generated data "
    f"(20,000 sessions per seed, seeds {', '.join(map(str, seeds))}), mean ± 95% CI over the seeds. "
    "*Fraud in risky* is the share of the clustered fraudulent sessions in risky clusters, *density* "
    "the share of fraud in those clusters; precision, recall and F-score are the fingerprints' "
    "on the later 30% of the sessions (the induction evaluation).",
    "",
    "| clustered on | next event | fraud in risky | density | precision | recall | F-score | training s |",
    "|---|---|---:|---:|---:|---:|---:|---:|",
]
for r in rows:
    cells = " | ".join(
        f"{r[k][0]:.3f} ± {r[k][1]:.3f}" if k != "training_seconds" else f"{r[k][0]:.0f}"
        for k in ("fraud_in_risky", "risky_density", "precision", "recall", "f_score", "training_seconds")
    )
    md.append(f"| {r['representation']} | {r['next_event']} | {cells} |")
open("docs/benchmarks/cluster-next-event.md", "w").write("\n".join(md) + "\n")
print("\n".join(md))
EOF
