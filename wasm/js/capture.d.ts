// Types of the browser capture helper.
import type { FieldValue, Session, SessionEvent, SessionScore } from "./index.js";

/** Schema field names the captured events are written under. */
export interface CaptureFields {
  /** Event kind (default `event_type`). */
  type?: string;
  /** Page name (default `page`). */
  page?: string;
  /** Milliseconds since the previous captured event, 0 for the first (default `dwell_ms`). */
  dwell?: string;
  /** Timestamp (default `ts`). */
  timestamp?: string;
  /** Clicked/submitted element: `data-seqrisk-target`, `#id` or tag name (off by default). */
  target?: string;
}

/** Event-kind values written for each DOM event (match your model's vocabulary). */
export interface CaptureTypes {
  pageView?: string;
  click?: string;
  submit?: string;
}

export interface CaptureOptions {
  /** Session id (default: a random UUID). */
  sessionId?: string;
  /** Events kept, oldest dropped first (default 200). */
  maxEvents?: number;
  fields?: CaptureFields;
  types?: CaptureTypes;
  /** Unit of the timestamp field, as the model's schema says (default `"seconds"`). */
  timestampUnit?: "seconds" | "milliseconds";
  /**
   * What to record automatically (all on by default). Clicks and submits inside an element with
   * `data-seqrisk-event="kind"` are recorded as that kind, others as `types.click`/`types.submit`;
   * `"annotated"` records only the former. A marked form's kind is for its submits; clicks
   * inside it count as unmarked.
   */
  record?: { pageViews?: boolean; clicks?: boolean | "annotated"; submits?: boolean | "annotated" };
  /** Page name of the current location (default: last path segment, `"home"` for `/`). */
  page?: () => string;
  /** Where click and submit listeners go (default `document`). */
  root?: EventTarget;
  /** Profile fields added to the session (schema's `profile` group). */
  profile?: Record<string, FieldValue>;
  /** Extra fields for an event, from the DOM event that caused it (absent for page views). */
  enrich?: (domEvent: Event | undefined) => Record<string, FieldValue>;
  /** Clock in milliseconds (default `Date.now`). */
  now?: () => number;
  /** Called with a copy of each event once it is buffered (e.g. to score after every event). */
  onRecord?: (event: SessionEvent) => void;
}

/** A running capture. Nothing it records leaves the page. */
export interface Capture {
  readonly sessionId: string;
  /** Events dropped because the buffer was full. */
  readonly dropped: number;
  /** Record an event of your own kind (e.g. `"login"`), with extra fields. */
  record(type: string, extra?: Record<string, FieldValue>): SessionEvent;
  /** Record a page view (call it on client-side route changes). */
  pageView(extra?: Record<string, FieldValue>): SessionEvent;
  /** A copy of the buffered events, oldest first. */
  events(): SessionEvent[];
  /** The session to score: id, profile fields and events. */
  session(): Session;
  /** Score the session with any scorer (`Scorer` or `WorkerScorer`). */
  score(scorer: { score(session: Session): Promise<SessionScore> }): Promise<SessionScore>;
  /** Forget the buffered events. */
  clear(): void;
  /** Remove the DOM listeners. */
  stop(): void;
}

/** Start recording. Records a page view at once unless `record.pageViews` is false. */
export declare function createCapture(options?: CaptureOptions): Capture;

/** The default page name of a location. */
export declare function pageFromLocation(location: { pathname: string }): string;
