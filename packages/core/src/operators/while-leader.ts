import { distinctUntilChanged, EMPTY, from, type ObservableInput, type OperatorFunction, switchMap } from 'rxjs';

/**
 * Runs `work` while the source says this member leads, and unsubscribes it
 * the moment leadership turns false (stand-down, suspension, loss).
 *
 * @example
 * coordinator.leadership('scheduler').pipe(whileLeader(() => runScheduler$)).subscribe();
 */
export function whileLeader<T>(work: () => ObservableInput<T>): OperatorFunction<boolean, T> {
  return (leading$) =>
    leading$.pipe(
      distinctUntilChanged(),
      switchMap((leading) => (leading ? from(work()) : EMPTY)),
    );
}
