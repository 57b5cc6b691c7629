#!/usr/bin/env node
import { redact } from '@tooz/core';
import { main } from './main.js';

// Exits as soon as the command is done: a client library's idle socket or timer must not keep tooz alive.
// stdout and stderr are synchronous for files and pipes on Linux, so nothing written is lost.
main(process.argv).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`tooz: ${redact(error instanceof Error ? (error.stack ?? error.message) : String(error))}\n`);
    process.exit(1);
  },
);
