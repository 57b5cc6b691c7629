import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { until } from '@tooz/testing';
import { ReplaySubject } from 'rxjs';

const HOLDER = fileURLToPath(new URL('./fixtures/holder.ts', import.meta.url));
const MEMBER = fileURLToPath(new URL('./fixtures/member.ts', import.meta.url));
/** The workspace root, where tsx is installed. */
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

export interface ChildEvent {
  readonly memberId: string;
  readonly event: 'started' | 'leading' | 'locked' | 'joined';
  readonly value?: boolean;
  readonly token?: string;
  readonly pid?: number;
}

/** A holder process and the events it reported so far. */
export class Holder {
  readonly events: ChildEvent[] = [];
  private readonly reported = new ReplaySubject<ChildEvent>();
  private stderr = '';
  readonly exited: Promise<NodeJS.Signals | number | null>;

  constructor(readonly process: ChildProcess) {
    let buffer = '';
    process.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      for (let end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n')) {
        const event = JSON.parse(buffer.slice(0, end)) as ChildEvent;
        buffer = buffer.slice(end + 1);
        this.events.push(event);
        this.reported.next(event);
      }
    });
    process.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    // After its output is all in: a child that exits without the awaited event fails the wait at once.
    process.on('close', (code, signal) =>
      this.reported.error(new Error(`child ${process.pid} exited (${signal ?? code}); stderr:\n${this.stderr}`)),
    );
    this.exited = new Promise((resolve) => process.on('exit', (code, signal) => resolve(signal ?? code)));
  }

  /** The first event matching (30 s hang guard). */
  next(predicate: (event: ChildEvent) => boolean): Promise<ChildEvent> {
    return until(this.reported, predicate, `report from child ${this.process.pid}`);
  }

  kill(signal: NodeJS.Signals): void {
    this.process.kill(signal);
  }
}

const started: Holder[] = [];

function start(script: string, args: string[]): Holder {
  const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', script, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const holder = new Holder(child);
  started.push(holder);
  return holder;
}

/** Starts a holder: stands for the leadership `seat`, takes `lock`. */
export function startHolder(namespace: string, memberId: string, seat: string, lock: string): Holder {
  return start(HOLDER, [namespace, memberId, seat, lock]);
}

/** Starts a member of `group` (which must exist) with `capabilities`. */
export function startMember(namespace: string, memberId: string, group: string, capabilities: unknown): Holder {
  return start(MEMBER, [namespace, memberId, group, JSON.stringify(capabilities)]);
}

/** Kills every holder still running (SIGCONT first, in case one was stopped). */
export async function killHolders(): Promise<void> {
  for (const holder of started.splice(0)) {
    if (holder.process.exitCode !== null || holder.process.signalCode !== null) continue;
    holder.process.kill('SIGCONT');
    holder.process.kill('SIGKILL');
    await holder.exited;
  }
}
