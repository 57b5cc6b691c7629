import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type HistoryEntry, mergeHistories, parseHistoryEntry } from './entry.js';

/**
 * Parses JSON lines into entries. A last line without its newline is
 * skipped: a process killed while writing it left it incomplete.
 */
export function parseHistory(text: string): HistoryEntry[] {
  // The last piece is '' after a final newline, or an incomplete line: either way not an entry.
  return text
    .split('\n')
    .slice(0, -1)
    .filter((line) => line.trim() !== '')
    .map(parseHistoryEntry);
}

/**
 * Reads and merges history files: each argument is a file, or a directory
 * whose `*.jsonl` files are read. The result is sorted by time (then
 * process, then seq), ready for `checkHistory`.
 */
export async function readHistory(...paths: readonly string[]): Promise<HistoryEntry[]> {
  const files: string[] = [];
  for (const path of paths) {
    if ((await stat(path)).isDirectory()) {
      const names = (await readdir(path)).filter((name) => name.endsWith('.jsonl')).sort();
      files.push(...names.map((name) => join(path, name)));
    } else {
      files.push(path);
    }
  }
  const histories = await Promise.all(files.map(async (file) => parseHistory(await readFile(file, 'utf8'))));
  return mergeHistories(...histories);
}
