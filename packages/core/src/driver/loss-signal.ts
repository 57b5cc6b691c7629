import { type Observable, ReplaySubject } from 'rxjs';
import type { HoldLoss } from '../spi/loss.js';

/**
 * A handle's `lost$`, built so that no loss is dropped: the first report
 * wins and replays to a subscriber that comes later (core subscribes only
 * after handling the acquire's answer, and a loss can reach the driver in
 * the same read as that answer). Later reports are ignored.
 */
export class LossSignal {
  private readonly subject = new ReplaySubject<HoldLoss>(1);
  private reported = false;

  /** Emits the first reported loss (replayed to late subscribers), then completes. */
  readonly lost$: Observable<HoldLoss> = this.subject.asObservable();

  /** Whether a loss has been reported. */
  get isLost(): boolean {
    return this.reported;
  }

  /** Reports that someone else now holds it (`reason: 'stolen'`); ignored after the first report. */
  stolen(cause?: unknown): void {
    this.report({ reason: 'stolen', cause });
  }

  /** Reports that the TTL or session ran out (`reason: 'expired'`); ignored after the first report. */
  expired(cause?: unknown): void {
    this.report({ reason: 'expired', cause });
  }

  /** Reports a loss; only the first report is emitted. */
  report(loss: HoldLoss): void {
    if (this.reported) return;
    this.reported = true;
    this.subject.next(loss);
    this.subject.complete();
  }
}
