// Code the declarations must reject: `tsc --noEmit -p tsconfig.misuse.json` has to fail with one
// error per line marked below (the test counts them), so the types cannot silently become `any`.
import { Scorer } from "seqrisk";
import { createCapture } from "seqrisk/capture";

export async function misuse(artifact: ArrayBuffer) {
  await Scorer.create(artifact, { backend: "tpu" }); // error: not a backend
  const scorer = await Scorer.create(artifact);
  const score: string = (await scorer.score({ id: "s", events: [] })).score; // error: number
  await scorer.score({ id: "s" }); // error: events missing
  createCapture({ timestampUnit: "hours" }); // error: not a unit
  new Scorer(); // error: private constructor
}
