import { Observable, type SchedulerLike, Subscription, timer } from 'rxjs';

/**
 * How one call reaches the memory server: the operation runs when the
 * request "arrives" (at once, or when a suspended connection resumes) and the
 * answer comes back after the configured latency, all in scheduler time.
 */
export class Wire {
  private suspended = false;
  private readonly queue: Array<() => void> = [];

  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly latency: () => number,
  ) {}

  get isSuspended(): boolean {
    return this.suspended;
  }

  suspend(): void {
    this.suspended = true;
  }

  resume(): void {
    this.suspended = false;
    for (const deliver of this.queue.splice(0)) deliver();
  }

  request<T>(operation: () => T): Observable<T> {
    return new Observable<T>((subscriber) => {
      const reply = new Subscription();
      const arrive = () => {
        let result: T;
        try {
          result = operation();
        } catch (error) {
          return this.respond(reply, () => subscriber.error(error));
        }
        this.respond(reply, () => {
          subscriber.next(result);
          subscriber.complete();
        });
      };
      if (this.suspended) {
        this.queue.push(arrive);
        reply.add(() => {
          const index = this.queue.indexOf(arrive);
          if (index !== -1) this.queue.splice(index, 1);
        });
      } else arrive();
      return reply;
    });
  }

  private respond(reply: Subscription, deliver: () => void): void {
    const latency = this.latency();
    if (latency <= 0) deliver();
    else reply.add(timer(latency, this.scheduler).subscribe(deliver));
  }
}
