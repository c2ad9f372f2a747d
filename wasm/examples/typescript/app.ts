// A page script using every public type of the `seqrisk` package; `tsc --noEmit` checks it
// against the built package's declarations (scripts/test.sh runs it).
import { Scorer, webgpuUnavailableReason } from "seqrisk";
import type {
  Backend,
  CalibrationSummary,
  DriftReport,
  Explanation,
  FieldDrift,
  PolicyPoint,
  Session,
  SessionEvent,
  SessionScore,
  ScorerOptions,
} from "seqrisk";
import { createCapture, pageFromLocation } from "seqrisk/capture";
import type { Capture, CaptureOptions } from "seqrisk/capture";
import { createWorkerScorer } from "seqrisk/worker";
import type { WorkerRequest, WorkerResponse, WorkerScorer } from "seqrisk/worker";

const policy = '[[band]]\nname = "allow"\n[[band]]\nname = "review"\nfrom = "fpr:1%"\n';
const options: ScorerOptions = { backend: "auto", policy };

export async function main(artifact: ArrayBuffer): Promise<number> {
  const why: string | undefined = await webgpuUnavailableReason();
  const scorer: Scorer = await Scorer.create(artifact, why ? { backend: "cpu" } : options);
  const backend: Backend = scorer.backend;
  const login: SessionEvent = { ts: 1_700_000_000, event_type: "login", page: "login", dwell_ms: 900 };
  const session: Session = { id: "s1", events: [login], kyc_level: "basic" };
  const result: SessionScore = await scorer.score(session);
  const explanation: Explanation = result.explanation;
  const top: number[] = explanation.top_events;
  const beta: number[] | undefined = explanation.weights.beta;
  const raw: number = result.raw_score;
  const band: string = scorer.decide(result) + scorer.decide(0.5);
  const calibration: CalibrationSummary | null = scorer.card.calibration;
  const points: PolicyPoint[] = scorer.card.policy_points;
  const drift: DriftReport = scorer.stats({ watch: 0.1 }).report;
  const moved: FieldDrift[] = drift.fields.filter((f) => f.status !== "stable");
  scorer.resetStats();
  const many: SessionScore[] =
    backend === "cpu" ? scorer.scoreBatchSync([session]) : await scorer.scoreBatch(JSON.stringify([session]));

  const captureOptions: CaptureOptions = {
    maxEvents: 100,
    fields: { type: "event_type", target: "target" },
    types: { click: "click" },
    page: () => pageFromLocation(location),
    profile: { kyc_level: "basic" },
  };
  const capture: Capture = createCapture(captureOptions);
  capture.record("login", { result: "ok" });
  const captured: SessionScore = await capture.score(scorer);

  const inWorker: WorkerScorer = await createWorkerScorer(artifact, { backend: "cpu" });
  const fromWorker: SessionScore = await capture.score(inWorker);
  const workerBand: string = await inWorker.decide(fromWorker);
  const workerDrift: DriftReport = (await inWorker.stats()).report;
  await inWorker.resetStats();
  inWorker.terminate();
  const request: WorkerRequest = { id: 1, type: "score", session };
  const reply: WorkerResponse = { id: request.id, ok: false, error: "no model" };
  scorer.free();
  return (
    result.score +
    captured.score +
    fromWorker.score +
    many.length +
    top.length +
    (beta?.length ?? 0) +
    (reply.ok ? 0 : 1) +
    raw +
    band.length +
    (calibration?.test_calibrated.ece ?? 0) +
    points.length +
    moved.length +
    workerBand.length +
    workerDrift.sessions
  );
}
