import { redact } from '@tooz/core';
import { toJson } from './json.js';
import { Progress, type ProgressStream } from './progress.js';

/**
 * Everything tooz writes. stdout carries results only (tables, or JSON with
 * `--json`), so it can be piped; stderr carries warnings and errors always,
 * and progress only on a terminal.
 */
export class Ui {
  readonly progress: Progress;

  constructor(
    private readonly stdout: ProgressStream = process.stdout,
    private readonly stderr: ProgressStream = process.stderr,
    quiet = false,
  ) {
    this.progress = new Progress(stderr, !quiet && stderr.isTTY === true);
  }

  /** A result line on stdout. */
  out(line: string): void {
    this.progress.around(() => this.stdout.write(`${line}\n`));
  }

  /** One JSON document (or one line of a JSON-lines stream) on stdout. */
  json(value: unknown): void {
    this.out(toJson(value));
  }

  /** Something people and logs must see, terminal or not. */
  warn(message: string): void {
    this.progress.around(() => this.stderr.write(`tooz: ${redact(message)}\n`));
  }
}
