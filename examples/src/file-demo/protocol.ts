/** What the file demo's orchestrator and its worker processes share. */
export const GROUP = 'workers';
export const JOBS = Array.from({ length: 12 }, (_, i) => `job-${String(i + 1).padStart(2, '0')}`);

export type ToWorker = { readonly cmd: 'partition'; readonly members: number } | { readonly cmd: 'contend' | 'exit' };

export type FromWorker =
  | { readonly type: 'joined' | 'contended' }
  | { readonly type: 'leading'; readonly value: boolean }
  | { readonly type: 'owns'; readonly jobs: readonly string[]; readonly weight: number }
  | { readonly type: 'locked'; readonly token: string };
