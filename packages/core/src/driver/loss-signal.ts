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

  readonly lost$: Observable<HoldLoss> = this.subject.asObservable();

  get isLost(): boolean {
    return this.reported;
  }

  stolen(cause?: unknown): void {
    this.report({ reason: 'stolen', cause });
  }

  expired(cause?: unknown): void {
    this.report({ reason: 'expired', cause });
  }

  report(loss: HoldLoss): void {
    if (this.reported) return;
    this.reported = true;
    this.subject.next(loss);
    this.subject.complete();
  }
}
