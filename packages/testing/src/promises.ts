/** Settles a promise into its error (or fails if it resolved). */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, got a value');
}

/**
 * Whether `promise` is still unsettled after `ms` of real time: for "this
 * must not happen yet" checks (a waiter still waiting), never for speed.
 */
export async function stillPending(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const marker = Symbol('pending');
  const settled = promise.then(
    () => 'settled',
    () => 'settled',
  );
  const result = await Promise.race([settled, new Promise((resolve) => setTimeout(() => resolve(marker), ms))]);
  return result === marker;
}
