// Scoring in a Web Worker: the main-thread client and the typed message protocol.
import type {
  ArtifactBytes,
  Backend,
  DriftReport,
  ErrorCode,
  Limits,
  ModelCard,
  ScorerOptions,
  Session,
  SessionScore,
} from "./index.js";

/** Options of {@link createWorkerScorer}: the scorer's options plus where the worker script is. */
export interface WorkerScorerOptions extends ScorerOptions {
  /** URL of worker-entry.js, if a bundler moved it (default: next to worker.js). */
  workerUrl?: string | URL;
}

/** Messages the main thread sends; `id` matches a reply to its request. */
export type WorkerRequest =
  | { id: number; type: "init"; artifact: ArtifactBytes; options: ScorerOptions }
  | { id: number; type: "score"; session: Session | string }
  | { id: number; type: "scoreBatch"; sessions: Session[] | string }
  | { id: number; type: "decide"; result: { score: number } | number }
  | { id: number; type: "stats"; limits: { watch?: number; act?: number } }
  | { id: number; type: "resetStats" };

/** What `init` replies with. */
export interface WorkerInfo {
  model: string;
  backend: Backend;
  fallbackReason: string | undefined;
  card: ModelCard;
  limits: Limits;
}

/** Replies of the worker: a value, or the message of the Error it threw. */
export type WorkerResponse =
  | {
      id: number;
      ok: true;
      value: WorkerInfo | SessionScore | SessionScore[] | string | { report: DriftReport; counts: unknown } | undefined;
    }
  | { id: number; ok: false; error: string; code?: ErrorCode };

/** A scorer living in a Web Worker; every call is a message and a Promise. */
export declare class WorkerScorer {
  private constructor();
  readonly model: string;
  readonly backend: Backend;
  readonly fallbackReason: string | undefined;
  readonly card: ModelCard;
  readonly limits: Limits;
  score(session: Session | string): Promise<SessionScore>;
  scoreBatch(sessions: Session[] | string): Promise<SessionScore[]>;
  /** The band of a result or a score, as {@link Scorer.decide} gives it in the worker. */
  decide(result: SessionScore | number): Promise<string>;
  /** Drift of every session the worker has scored, as {@link Scorer.stats}. */
  stats(limits?: { watch?: number; act?: number }): Promise<{ report: DriftReport; counts: unknown }>;
  /** Forget the worker's drift counts. */
  resetStats(): Promise<void>;
  /** Stop the worker; pending calls reject. */
  terminate(): void;
}

/** Start a module worker, load the model in it, and resolve once it is ready to score. */
export declare function createWorkerScorer(
  artifact: ArtifactBytes,
  options?: WorkerScorerOptions,
): Promise<WorkerScorer>;
