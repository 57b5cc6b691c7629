import { map, type Observable } from 'rxjs';
import type { ConnectionState } from '../internal/connection-state.js';

/**
 * A coordinator's health, as probes and frameworks want it: `up` while the
 * backend is reachable, `degraded` while it is not but what is held may
 * survive (`suspended`), `down` once the session is lost or closed.
 */
export interface Health {
  /** `up` (connected), `degraded` (suspended: holds may survive), `down` (lost or closed). */
  readonly status: 'up' | 'degraded' | 'down';
  /** The connection state this was derived from. */
  readonly state: ConnectionState;
  /** Readiness: whether new work should be routed here now. */
  readonly ready: boolean;
  /** Liveness: false only once the coordinator is closed (a lost session renews itself). */
  readonly live: boolean;
}

const STATUS: Readonly<Record<ConnectionState, Health['status']>> = {
  connected: 'up',
  reconnected: 'up',
  suspended: 'degraded',
  lost: 'down',
  closed: 'down',
};

/** The health a connection state amounts to. */
export function healthOf(state: ConnectionState): Health {
  const status = STATUS[state];
  return { status, state, ready: status === 'up', live: state !== 'closed' };
}

/**
 * For a readiness or liveness endpoint (Kubernetes probes, Fastify or
 * NestJS health checks): `health(coordinator)` now, `health$(coordinator)`
 * as it changes.
 *
 * @example
 * app.get('/ready', (_, reply) => reply.code(health(coordinator).ready ? 200 : 503).send());
 */
export function health(coordinator: { readonly state: ConnectionState }): Health {
  return healthOf(coordinator.state);
}

/** The coordinator's {@link Health} now and on each change of its connection state. */
export function health$(coordinator: { readonly state$: Observable<ConnectionState> }): Observable<Health> {
  return coordinator.state$.pipe(map(healthOf));
}
