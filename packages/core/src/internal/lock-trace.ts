import type { LockKey } from '../spi/locks.js';
import type { CoreContext } from './context.js';
import { type LockEventName, type TelemetryInput, Telemetry } from './telemetry.js';

type LockDetails = Omit<
  Extract<TelemetryInput, { kind: 'lock' }>,
  'kind' | 'memberId' | 'name' | 'lockKind' | 'event' | 'run'
>;

let runs = 0;

/**
 * The telemetry of one lock subscription: an id that ties its events
 * together, and its wait, hold and at-risk times read from the coordinator's
 * scheduler. A lock run makes one only when someone listens, so a run that
 * nobody hears allocates nothing for it.
 */
export class LockTrace {
  readonly run = ++runs;
  private startedAt: number | undefined;
  private heldAt: number | undefined;
  private atRiskSince: number | undefined;

  constructor(
    private readonly ctx: CoreContext,
    private readonly key: LockKey,
  ) {}

  acquiring(): void {
    this.startedAt = this.ctx.scheduler.now();
    this.emit('acquiring');
  }

  held(token: bigint): void {
    this.heldAt = this.ctx.scheduler.now();
    this.emit('held', { token: String(token), waitedMs: this.since(this.startedAt) });
  }

  timedOut(): void {
    this.emit('timeout', { waitedMs: this.since(this.startedAt) });
  }

  cancelled(): void {
    this.emit('cancelled', { waitedMs: this.since(this.startedAt) });
  }

  failed(error: unknown): void {
    this.emit('failed', {
      waitedMs: this.since(this.startedAt),
      error: Telemetry.text(error),
      errorType: Telemetry.errorType(error),
    });
  }

  /** Called on every re-evaluation of the hold; only changes are reported. */
  risk(atRisk: boolean): void {
    if (atRisk === (this.atRiskSince !== undefined)) return;
    if (atRisk) {
      this.atRiskSince = this.ctx.scheduler.now();
      this.emit('at-risk');
    } else {
      this.emit('safe', { atRiskMs: this.endRisk() });
    }
  }

  releasing(): void {
    this.emit('releasing');
  }

  released(): void {
    this.emit('released', { heldMs: this.since(this.heldAt), atRiskMs: this.endRisk() });
  }

  lost(reason: string): void {
    this.emit('lost', { reason, heldMs: this.since(this.heldAt), atRiskMs: this.endRisk() });
  }

  private since(start: number | undefined): number | undefined {
    return start === undefined ? undefined : this.ctx.scheduler.now() - start;
  }

  /** Ends an at-risk episode still open: a hold that ends at risk was at risk until then. */
  private endRisk(): number | undefined {
    const atRiskMs = this.since(this.atRiskSince);
    this.atRiskSince = undefined;
    return atRiskMs;
  }

  private emit(event: LockEventName, details?: LockDetails): void {
    this.ctx.telemetry.emit({
      kind: 'lock',
      memberId: this.ctx.memberId,
      name: this.key.name,
      lockKind: this.key.kind,
      event,
      run: this.run,
      ...details,
    });
  }
}
