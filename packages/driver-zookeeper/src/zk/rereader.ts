/**
 * Runs a read-and-re-watch when asked, one at a time. ZooKeeper watches fire
 * once, so a watch firing during a read must not start a second read beside
 * it (answers could land out of order) nor be dropped (the change would be
 * missed): asks during a read merge into one more read after it.
 */
export class Rereader {
  private reading = false;
  private pending = false;
  private closed = false;

  constructor(private readonly read: () => Promise<void>) {}

  request(): void {
    if (this.closed) return;
    if (this.reading) {
      this.pending = true;
      return;
    }
    this.reading = true;
    void this.drain();
  }

  close(): void {
    this.closed = true;
  }

  private async drain(): Promise<void> {
    do {
      this.pending = false;
      await this.read();
    } while (this.pending && !this.closed);
    this.reading = false;
  }
}
