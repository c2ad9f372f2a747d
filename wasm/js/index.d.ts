// Types of the `seqrisk` package: score behaviour sessions in the browser, a Web Worker, Node or
// an edge worker with a model trained by `cargo run -p native`.

/** A field value: categories are strings, amounts and durations are numbers. */
export type FieldValue = string | number | boolean | null;

/**
 * One event of a session. Field names come from the model's schema (`seqrisk inspect` lists
 * them); the timestamp field (default `ts`) is required. Unknown keys are ignored, unknown
 * category values fall into the model's out-of-vocabulary bucket.
 */
export interface SessionEvent {
  [field: string]: FieldValue | undefined;
}

/** A behaviour sequence to score, in the model's schema. */
export interface Session {
  /** Session id (the schema's `session_id` field, default `id`). */
  id?: string;
  /** Events in time order; the model reads the last `max_events` of them. */
  events: SessionEvent[];
  /** Profile fields of the user or account (schema's `profile` group), if any. */
  [field: string]: FieldValue | SessionEvent[] | Record<string, FieldValue> | undefined;
}

/**
 * Why a session scored as it did: named per-event (DIFM also per-field, HUIHEN per behavior
 * session) weights from the model's forward pass.
 */
export interface Explanation {
  /** Index (into the scored session's events) of the event being judged: the last one. */
  current_event: number;
  /** Indices of the history events the weights refer to, oldest first. */
  events: number[];
  /**
   * Weights per history event, by the paper's name: NHFM gives `alpha` (share of the
   * event-interaction term, Eq. 2) and `beta` (self-importance attention, Eq. 3); DIFM gives
   * `event_importance` (Eq. 9).
   */
  weights: Record<string, number[]>;
  /** Indices of the most influential history events, most influential first. */
  top_events: number[];
  /**
   * Weights per event field, by the paper's name, then by field name: DIFM gives
   * `field_importance` (Eq. 7). Absent for models without field-level weights.
   */
  field_weights?: Record<string, Record<string, number>>;
  /** Names of the most influential fields, most influential first (DIFM). */
  top_fields?: string[];
  /**
   * HUIHEN: one entry per behavior session it read (sessions split at 1 h gaps), oldest
   * first. Absent for the other models.
   */
  sessions?: SessionWeights[];
  /**
   * LBSF: one entry per merchant it read (payments folded by merchant), most payments first.
   * Absent for the other models.
   */
  merchants?: MerchantWeights[];
  /** LBSF: indices into `merchants` of the most influential merchants, most influential first. */
  top_merchants?: number[];
  /**
   * The cluster model (FinDeepBehaviorCluster): the risky cluster the session looks like and
   * that cluster's rules it matches. Absent for the other models and for sessions outside
   * every risky cluster (their `weights` then hold the sequence network's `time_attention`).
   */
  cluster?: ClusterMatch;
  /**
   * The cluster model: where the session falls on its map of the clustering
   * (`ModelCard.cluster_map`), as `[x, y]`. Absent for the other models.
   */
  map_point?: [number, number];
}

/** Where the cluster model placed a session. */
export interface ClusterMatch {
  /** The risky cluster's label in the offline clustering (`seqrisk cluster`'s report). */
  label: number;
  /** Share of the cluster's labelled training sessions that were fraudulent: the score. */
  fraud_density: number;
  /**
   * Mutual-reachability distance to the cluster's nearest exemplar, in units of the distance
   * at which the cluster forms (≤ 1: inside).
   */
  reach: number;
  /** The cluster's rules the session satisfies, in words (`count(page=security) ≥ 2 AND …`). */
  rules: string[];
}

/** LBSF's weights of one merchant. */
export interface MerchantWeights {
  /** The merchant's name; `null` for the payments that carried none. */
  name: string | null;
  /** Indices (into the scored session's events) of its kept payments, oldest first. */
  events: number[];
  /**
   * By name: `cls_attention` (the [CLS] token's attention on the merchant, §IV-E; sums to 1
   * over the user's merchants).
   */
  weights: Record<string, number>;
  /**
   * By name, aligned with `events`: `payment_attention` (attention each payment receives
   * within the merchant; sums to 1 over its payments).
   */
  payment_weights: Record<string, number[]>;
}

/** HUIHEN's weights of one behavior session. */
export interface SessionWeights {
  /** Index (into the scored session's events) of the session's first kept behavior. */
  first_event: number;
  /** Index of its last behavior. */
  last_event: number;
  /**
   * By name: `intention` (size of the session's intention state, Eq. 7), `time_gate` (mean
   * time gate of its behaviors, Eq. 5), `update_gate` (how much it moved the long-term habits,
   * Eq. 8).
   */
  weights: Record<string, number>;
}

/** The score of one session. */
export interface SessionScore {
  /** The session's id. */
  id: string;
  /**
   * Risk in [0, 1]: the probability that the session is risky, calibrated on the validation
   * split when the artifact holds a calibrator (`card.calibration`), else `raw_score`.
   */
  score: number;
  /** The model's own score (the sigmoid of its logit), what rankings and AUC read. */
  raw_score: number;
  /** Why. */
  explanation: Explanation;
}

/** Where the model runs. */
export type Backend = "webgpu" | "cpu";

/** Where to take a wasm build from: a URL, the bytes, or a compiled module. */
export type WasmSource = string | URL | BufferSource | WebAssembly.Module;

/** Options of {@link Scorer.create}. */
export interface ScorerOptions {
  /**
   * `"auto"` (default): WebGPU when the runtime gives an adapter, else the CPU, and
   * `fallbackReason` says why. `"webgpu"`: WebGPU or a rejected Promise. `"cpu"`: the CPU build
   * only (the WebGPU build is never downloaded).
   */
  backend?: "auto" | Backend;
  /**
   * Override where each wasm build is loaded from (default: next to this module, which bundlers
   * and `<script type="module">` resolve). Edge runtimes that forbid compiling wasm at run time
   * pass the compiled `WebAssembly.Module` of the CPU build here.
   */
  wasm?: { cpu?: WasmSource; webgpu?: WasmSource };
  /**
   * What one call may hand the scorer; anything beyond is refused (code
   * `SEQRISK_OVER_LIMIT`) while the JSON is read, before memory grows with it. Unset limits keep
   * their defaults, which admit 1 million events and 10 MB strings; an edge worker scoring
   * strangers' requests sets tighter ones.
   */
  limits?: Partial<Limits>;
  /**
   * A policy file's TOML text: `[[band]]` tables from the lowest score up, each with a `name`
   * and, above the first, a `from` (a score, or a card target such as `"fpr:1%"`,
   * `"alert_rate:1%"`, `"precision:50%"`). {@link Scorer.decide} maps a score to its band.
   */
  policy?: string;
}

/** Bounds on one call's input (see {@link ScorerOptions.limits}). */
export interface Limits {
  /** Most bytes of JSON text in one call (default 268435456, 256 MiB). */
  maxInputBytes: number;
  /** Most events in one session, and elements in any other array in it (default 1000000). */
  maxEvents: number;
  /** Longest string value or object key, in UTF-8 bytes (default 16777216, 16 MiB). */
  maxStringBytes: number;
  /** Most sessions in one `scoreBatch` call (default 100000). */
  maxBatch: number;
}

/**
 * What kind of failure an `Error` from this package is, in its `code` property.
 * - `SEQRISK_MALFORMED_JSON`: the text is not JSON (the message gives the column).
 * - `SEQRISK_BAD_SESSION`: JSON, but not a session of the model's schema (the message names
 *   the field, e.g. `events[0].amount`).
 * - `SEQRISK_OVER_LIMIT`: over one of the scorer's {@link Limits} (the message names the field
 *   and the limit).
 * - `SEQRISK_BAD_ARTIFACT`: not a loadable `.seqrisk` file (corrupt, foreign, another format
 *   version; the message names the byte).
 * - `SEQRISK_BAD_OPTIONS`: an option or call this scorer cannot take (unknown backend, a limit
 *   of 0, WebGPU unavailable, a synchronous call on WebGPU).
 * - `SEQRISK_INTERNAL`: a bug (a panic inside the scorer); the message carries the panic's
 *   message and source location. The build that panicked refuses further calls in this page,
 *   worker or isolate.
 */
export type ErrorCode =
  | "SEQRISK_MALFORMED_JSON"
  | "SEQRISK_BAD_SESSION"
  | "SEQRISK_OVER_LIMIT"
  | "SEQRISK_BAD_ARTIFACT"
  | "SEQRISK_BAD_OPTIONS"
  | "SEQRISK_INTERNAL";

/** An `Error` thrown or rejected by the scorer. */
export interface SeqriskError extends Error {
  code: ErrorCode;
}

/** Test-split metrics of a model. */
export interface Metrics {
  sessions: number;
  positives: number;
  auc: number;
  /** Standardized partial AUC, false-positive rate ≤ 1%. */
  pauc_1pct: number;
  ks: number;
  /** Share of positives among the 10% highest scores. */
  recall_at_10pct: number;
  /** Average precision: the area under the precision-recall curve. */
  average_precision: number;
}

/** The training run recorded in an artifact. */
export interface TrainingSummary {
  /** Sessions in the train / validation / test splits. */
  split_sessions: [number, number, number];
  /** Positive sessions in the train / validation / test splits. */
  split_positives: [number, number, number];
  epochs: number;
  best_epoch: number;
  seed: number;
  /** `null` for the cluster model (trained without labels). */
  valid_auc: number | null;
  /**
   * Score from which a session is flagged: the 99th percentile of the validation negatives'
   * scores (1% false positives; calibrated scores when the artifact is calibrated); for the
   * cluster model the fraud density of a risky cluster.
   */
  threshold: number;
  /** Share of explained true positives with a planted event in their top 3, and random's. */
  planted_top3: [number, number] | null;
}

/**
 * A calibrator read on the model's logit `f`: Platt scaling, `σ(slope·f + intercept)`, or
 * isotonic regression, linear between the points `(x[i], y[i])` and clipped outside them.
 */
export type Calibrator = { Platt: { slope: number; intercept: number } } | { Isotonic: { x: number[]; y: number[] } };

/** One bin of a reliability diagram. */
export interface ReliabilityBin {
  lower: number;
  upper: number;
  count: number;
  /** The bin's mean probability. */
  mean_predicted: number;
  /** The share of its sessions that were positive. */
  observed: number;
}

/** Brier score, expected calibration error and reliability bins of a set of probabilities. */
export interface CalibrationMetrics {
  brier: number;
  ece: number;
  bins: ReliabilityBin[];
}

/** The calibration an artifact applies, how it was chosen, and its effect on the test split. */
export interface CalibrationSummary {
  calibrator: Calibrator;
  /** Cross-fitted validation log-loss of each candidate (`null`: not compared). */
  log_loss: { uncalibrated: number; platt: number | null; isotonic: number | null };
  /** The test split before calibration (the model's sigmoid) … */
  test_raw: CalibrationMetrics;
  /** … and after. */
  test_calibrated: CalibrationMetrics;
}

/** A threshold meeting a target on the validation split, and what flagging at it gave. */
export interface PolicyPoint {
  /** `{ fpr: 0.01 }`, `{ alert_rate: 0.01 }` or `{ precision: 0.5 }`. */
  target: { fpr: number } | { alert_rate: number } | { precision: number };
  point: {
    threshold: number;
    alert_rate: number;
    fpr: number;
    recall: number;
    precision: number | null;
  };
}

/** One field's drift from the training data (`seqrisk monitor` reports the same). */
export interface FieldDrift {
  name: string;
  scope: "event" | "profile" | "score";
  /** Population stability index over the field's bins; `null` without new values. */
  psi: number | null;
  status: "stable" | "watch" | "act" | "empty";
  /** Share missing: training, new. */
  missing: [number, number];
  /** Share of present values outside the vocabulary (categorical fields): training, new. */
  unseen: [number, number] | null;
  /** Values counted. */
  count: number;
  /** Each bin: label, training share, new share. */
  bins: [string, number, number][];
}

/** Sessions scored so far against the training data. */
export interface DriftReport {
  sessions: number;
  limits: { watch: number; act: number };
  fields: FieldDrift[];
  score: FieldDrift | null;
}

/** An event or profile field group of the schema. */
export interface FieldGroup {
  categorical: { name: string }[];
  numeric: { name: string; transform?: string }[];
  text: { name: string }[];
}

/** The model card of an artifact (`seqrisk inspect` prints the same). */
export interface ModelCard {
  /** The model and variant, e.g. `"nhfm"`. */
  model: string;
  format_version: number;
  seqrisk_version: string;
  /** Unix time of creation, seconds. */
  created_unix: number;
  /** Fingerprint of the training data. */
  data_fingerprint: string;
  /** The schema sessions are read with (field names, timestamp, `max_events`, …). */
  schema: {
    session_id: string;
    timestamp: { field: string; unit: string };
    event: FieldGroup;
    profile: FieldGroup;
    max_events: number;
    [key: string]: unknown;
  };
  test_metrics: Metrics | null;
  /** ROC curve on the test split. */
  test_roc: { fpr: number; tpr: number }[];
  training: TrainingSummary;
  /** How `score` is calibrated from `raw_score`; `null` when it is not. */
  calibration: CalibrationSummary | null;
  /** Thresholds at the card's targets with their validation figures (a policy's `from`). */
  policy_points: PolicyPoint[];
  /** The cluster model's 2-D map of its clustering; absent for the other models. */
  cluster_map?: ClusterMap;
}

/**
 * A 2-D view of the cluster model's clustering: its behaviour vectors' first two principal
 * axes, and a sample of its training sessions placed on them.
 */
export interface ClusterMap {
  /** `[2, D]` the two axes, row-major. */
  axes: number[];
  /** Share of the variance along each axis. */
  explained_variance: [number, number];
  /** Training sessions on the map, with their cluster (−1: noise) and whether it is risky. */
  points: { x: number; y: number; label: number; risky: boolean }[];
}

/** Bytes of a `.seqrisk` artifact. */
export type ArtifactBytes = ArrayBuffer | ArrayBufferView;

/**
 * A loaded model. All failures are JS `Error`s ({@link SeqriskError}) whose message names the
 * field or byte at fault and whose `code` says what kind of failure it is.
 */
export declare class Scorer {
  private constructor();
  /** Load an artifact on a backend. */
  static create(artifact: ArtifactBytes, options?: ScorerOptions): Promise<Scorer>;
  /** The model and variant, e.g. `"nhfm"`, `"difm"`, `"difm-same"`. */
  readonly model: string;
  /** The backend in use. */
  readonly backend: Backend;
  /** What the artifact says about the model: metrics, ROC curve, training, threshold, schema. */
  readonly card: ModelCard;
  /** Why `"auto"` ended on the CPU; `undefined` when it did not fall back. */
  readonly fallbackReason: string | undefined;
  /** The limits in force (the defaults where `options.limits` set none). */
  readonly limits: Limits;
  /**
   * Bytes of linear memory the wasm instance holds (shared by the scorers of its build; it
   * grows to the largest call's need and is not given back): what an edge runtime's memory
   * limit counts besides the JS heap.
   */
  readonly memoryBytes: number;
  /** Score one session (an object or its JSON text). */
  score(session: Session | string): Promise<SessionScore>;
  /** Score several sessions (an array or its JSON text), in order. */
  scoreBatch(sessions: Session[] | string): Promise<SessionScore[]>;
  /** {@link Scorer.score} without a Promise; throws unless `backend` is `"cpu"`. */
  scoreSync(session: Session | string): SessionScore;
  /** {@link Scorer.scoreBatch} without a Promise; throws unless `backend` is `"cpu"`. */
  scoreBatchSync(sessions: Session[] | string): SessionScore[];
  /**
   * Drift of every session this scorer has scored from the training data (PSI per field and for
   * the score, unseen and missing shares) and the bin counts behind it: aggregates only, no event.
   * Throws for an artifact without a monitoring reference (the cluster model).
   */
  stats(limits?: { watch?: number; act?: number }): { report: DriftReport; counts: unknown };
  /** Forget the drift counts: a new monitoring period starts. */
  resetStats(): void;
  /**
   * The band of a result (its `score`) or of a score: the policy's (`options.policy`), else
   * `"allow"` below the card's threshold and `"review"` from it on.
   */
  decide(result: SessionScore | number): string;
  /** Release the model's memory; the scorer is unusable afterwards. */
  free(): void;
}

/**
 * Whether this runtime offers WebGPU: `undefined` if it does, else the reason it does not
 * (`navigator.gpu` missing, or no adapter).
 */
export declare function webgpuUnavailableReason(): Promise<string | undefined>;
