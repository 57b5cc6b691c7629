/** Exponential backoff without jitter, so virtual-time tests stay deterministic. */
export class Backoff {
  private current: number;

  constructor(
    private readonly initial: number,
    private readonly max: number,
  ) {
    this.current = initial;
  }

  next(): number {
    const delay = this.current;
    this.current = Math.min(this.max, Math.max(1, this.current * 2));
    return delay;
  }

  reset(): void {
    this.current = this.initial;
  }
}
