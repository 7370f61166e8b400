/**
 * Coalesces concurrent requests for one model version into one OnnxModel.predict.
 * onnxruntime's session.run blocks the event loop and costs ~10-40 µs per call but ~0.04 µs per row
 * (DESIGN.md), so under load scoring 100 requests in one run is far cheaper than 100 runs.
 * Extra latency is bounded: a batch runs at the next setImmediate, or at once when maxBatchRows wait;
 * while a run is under way new requests wait for it (one run per version at a time) and go together next.
 */
import type { FeatureRow, OnnxModel, PredictionBatch } from '../onnx/model';

interface Pending {
  rows: readonly FeatureRow[];
  resolve(scored: ScoredSlice): void;
  reject(err: unknown): void;
}

/** One request's rows within the batch they were scored in. */
export interface ScoredSlice {
  batch: PredictionBatch;
  offset: number;
  n: number;
}

export class MicroBatcher {
  private pending: Pending[] = [];
  private pendingRows = 0;
  private running = false;
  private scheduled = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly model: OnnxModel,
    private readonly maxBatchRows: number,
    private readonly onRun: (rows: number) => void = () => undefined,
  ) {}

  score(rows: readonly FeatureRow[]): Promise<ScoredSlice> {
    return new Promise((resolve, reject) => {
      this.pending.push({ rows, resolve, reject });
      this.pendingRows += rows.length;
      if (this.running) return;
      if (this.pendingRows >= this.maxBatchRows) this.run();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.run();
        });
      }
    });
  }

  /** True when nothing is queued or running: the session can be released. */
  get idle(): boolean {
    return !this.running && this.pending.length === 0;
  }

  /** Resolves once every request queued so far has been answered. */
  whenIdle(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private run(): void {
    if (this.running || this.pending.length === 0) return;
    const taken: Pending[] = [];
    let n = 0;
    // Take whole requests up to the bound (a single oversized request still runs alone).
    while (this.pending.length > 0 && (n === 0 || n + this.pending[0].rows.length <= this.maxBatchRows)) {
      const p = this.pending.shift()!;
      taken.push(p);
      n += p.rows.length;
    }
    this.pendingRows -= n;
    const rows: FeatureRow[] = taken.length === 1 ? (taken[0].rows as FeatureRow[]) : new Array(n);
    if (taken.length > 1) {
      let i = 0;
      for (const p of taken) for (const r of p.rows) rows[i++] = r;
    }
    this.running = true;
    this.onRun(n);
    this.model.predict(rows).then(
      (batch) => {
        let offset = 0;
        for (const p of taken) {
          p.resolve({ batch, offset, n: p.rows.length });
          offset += p.rows.length;
        }
        this.finish();
      },
      (err) => {
        for (const p of taken) p.reject(err);
        this.finish();
      },
    );
  }

  private finish(): void {
    this.running = false;
    if (this.pending.length > 0) this.run();
    else {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}
