import { Observable } from 'rxjs';
import type { HoldLoss } from '../spi/loss.js';

/** Told of a LossSignal's loss without a subscription (core's Hold, on every hold's path). */
export interface LossListener {
  /** The first loss reported; called once. */
  onLoss(loss: HoldLoss): void;
}

/**
 * The `lost$` a LossSignal hands out. Core recognises it and listens to the
 * signal directly: a subscription, with the subject behind it, cost as much
 * as the rest of a short hold's bookkeeping.
 */
export class LossObservable extends Observable<HoldLoss> {
  constructor(
    /** The signal this Observable reports. */
    readonly signal: LossSignal,
  ) {
    super((subscriber) => {
      const listener: LossListener = {
        onLoss: (loss) => {
          subscriber.next(loss);
          subscriber.complete();
        },
      };
      signal.listen(listener);
      return () => signal.unlisten(listener);
    });
  }
}

/**
 * A handle's `lost$`, built so that no loss is dropped: the first report
 * wins and replays to a subscriber that comes later (core subscribes only
 * after handling the acquire's answer, and a loss can reach the driver in
 * the same read as that answer). Later reports are ignored.
 */
export class LossSignal {
  private loss: HoldLoss | undefined;
  private reported = false;
  /** One listener (the usual case: core's Hold) or several. */
  private listeners: LossListener | LossListener[] | undefined;

  /** Emits the first reported loss (replayed to late subscribers), then completes. */
  readonly lost$: Observable<HoldLoss> = new LossObservable(this);

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

  /** Reports a loss; only the first report is told. */
  report(loss: HoldLoss): void {
    if (this.reported) return;
    this.reported = true;
    this.loss = loss;
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners === undefined) return;
    if (!Array.isArray(listeners)) return listeners.onLoss(loss);
    for (const listener of listeners) listener.onLoss(loss);
  }

  /** Tells `listener` of the loss once: at once if it has been reported already. */
  listen(listener: LossListener): void {
    if (this.reported) return listener.onLoss(this.loss as HoldLoss);
    const listeners = this.listeners;
    if (listeners === undefined) this.listeners = listener;
    else if (Array.isArray(listeners)) listeners.push(listener);
    else this.listeners = [listeners, listener];
  }

  /** Stops telling `listener`; nothing if it was not listening. */
  unlisten(listener: LossListener): void {
    const listeners = this.listeners;
    if (listeners === listener) this.listeners = undefined;
    else if (Array.isArray(listeners)) {
      const index = listeners.indexOf(listener);
      if (index >= 0) listeners.splice(index, 1);
    }
  }
}
