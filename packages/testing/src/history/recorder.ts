import { closeSync, openSync, writeSync } from 'node:fs';
import { formatHistoryEntry, type HistoryEntry, type HistoryKind, monotonicNow } from './entry.js';

/** Where a recorder writes its JSON lines. */
export type HistoryOutput = string | NodeJS.WritableStream | ((line: string) => void);

/** Options of `new HistoryRecorder(...)`. */
export interface HistoryRecorderOptions {
  /** This process's name in the history (the member id is a good one). */
  readonly process: string;
  /**
   * A file path (opened for append; every entry is written with one
   * synchronous `write(2)`, so a SIGKILL loses nothing already recorded),
   * a writable stream, or a function given each line (with its newline).
   * Omit it to keep the entries in memory only.
   */
  readonly output?: HistoryOutput;
  /** Also keep every entry in `entries` (default: only when there is no output). */
  readonly keep?: boolean;
  /** Nanosecond clock; default `monotonicNow` (CLOCK_MONOTONIC). Override only in tests. */
  readonly clock?: () => bigint;
  /** Called with every entry once recorded (e.g. to mirror it to a parent process). */
  readonly onEntry?: (entry: HistoryEntry) => void;
}

/** Fields of one entry beyond its kind (see HistoryEntry). */
export interface RecordFields {
  /** The lock name or leadership group. */
  readonly resource?: string;
  /** Fencing token or term. */
  readonly token?: bigint;
  /** Free text: why, or what was written. */
  readonly detail?: string;
  /** When it happened, if not now (e.g. read before a check: see `wrote`). */
  readonly time?: bigint;
  /** Whom it is about, if not this recorder's process (`paused`, `resumed`, `killed`). */
  readonly process?: string;
}

/**
 * Records one process's history as JSON lines. Several processes each record
 * to their own file; `readHistory` merges them and `checkHistory` judges.
 *
 * @example
 * const recorder = new HistoryRecorder({ process: memberId, output: `/tmp/history/${memberId}.jsonl` });
 * const lease = await coordinator.acquire('invoice-42');
 * recorder.acquired('invoice-42', lease.fencingToken);
 * const at = recorder.now();
 * if (lease.state === 'held' && !lease.signal.aborted) { recorder.wrote('invoice-42', lease.fencingToken, { time: at }); write(); }
 * recorder.released('invoice-42', lease.fencingToken);
 * await lease.release();
 */
export class HistoryRecorder {
  /** The process name every entry carries (unless one names another). */
  readonly process: string;
  /** Entries recorded so far, when kept (see `keep`). */
  readonly entries: HistoryEntry[] = [];
  private readonly clock: () => bigint;
  private readonly keep: boolean;
  private readonly onEntry: ((entry: HistoryEntry) => void) | undefined;
  private readonly sink: ((line: string) => void) | undefined;
  private fd: number | undefined;
  private stream: NodeJS.WritableStream | undefined;
  private seq = 0;
  private closed = false;

  constructor(options: HistoryRecorderOptions) {
    this.process = options.process;
    this.clock = options.clock ?? monotonicNow;
    this.keep = options.keep ?? options.output === undefined;
    this.onEntry = options.onEntry;
    const output = options.output;
    if (typeof output === 'string') {
      const fd = openSync(output, 'a');
      this.fd = fd;
      this.sink = (line) => {
        writeSync(fd, line);
      };
    } else if (typeof output === 'function') {
      this.sink = output;
    } else if (output) {
      const stream = output;
      this.stream = stream;
      this.sink = (line) => {
        stream.write(line);
      };
    }
  }

  /** The recorder's clock now, in nanoseconds. */
  now(): bigint {
    return this.clock();
  }

  /** Records an entry of any kind; the methods below are the usual way. */
  record(kind: HistoryKind, fields: RecordFields = {}): HistoryEntry {
    if (this.closed) throw new Error(`history recorder of ${this.process} is closed`);
    const entry: HistoryEntry = {
      process: fields.process ?? this.process,
      kind,
      time: fields.time ?? this.clock(),
      seq: this.seq++,
      ...(fields.resource !== undefined ? { resource: fields.resource } : {}),
      ...(fields.token !== undefined ? { token: fields.token } : {}),
      ...(fields.detail !== undefined ? { detail: fields.detail } : {}),
    };
    if (this.keep) this.entries.push(entry);
    this.sink?.(`${formatHistoryEntry(entry)}\n`);
    this.onEntry?.(entry);
    return entry;
  }

  /** The lock was granted with this fencing token. */
  acquired(resource: string, token: bigint, detail?: string): HistoryEntry {
    return this.record('acquire', { resource, token, detail });
  }

  /** The holder was told the lock is lost. */
  lost(resource: string, token?: bigint, detail?: string): HistoryEntry {
    return this.record('lost', { resource, token, detail });
  }

  /** The holder lets the lock go: record it before releasing. */
  released(resource: string, token?: bigint, detail?: string): HistoryEntry {
    return this.record('release', { resource, token, detail });
  }

  /**
   * A write to the protected resource with this token. Read `now()` before
   * the check that proves the hold and pass it as `time`: the check proves
   * the hold at a moment after that time, so a stall (GC, SIGSTOP) between
   * the check and the record cannot date the write after a loss the check
   * did not see.
   */
  wrote(resource: string, token: bigint, options: { time?: bigint; detail?: string } = {}): HistoryEntry {
    return this.record('write', { resource, token, time: options.time, detail: options.detail });
  }

  /** This process became the leader of `resource` for the term `term`. */
  leading(resource: string, term: bigint | undefined, detail?: string): HistoryEntry {
    return this.record('leader', { resource, token: term, detail });
  }

  /** This process no longer leads `resource` (told it lost it, or it stood down). */
  stoppedLeading(resource: string, term?: bigint, detail?: string): HistoryEntry {
    return this.record('not-leader', { resource, token: term, detail });
  }

  /** Closes the file (if any); an output stream is ended. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
    const stream = this.stream;
    if (stream && stream !== process.stdout && stream !== process.stderr) {
      await new Promise<void>((resolve) => stream.end(() => resolve()));
    }
  }

  /** Same as `close()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
