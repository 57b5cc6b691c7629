import { describe, expect, it } from 'vitest';
import { defer, of, throwError, VirtualTimeScheduler } from 'rxjs';
import { ConnectionStateMachine, type ConnectionState } from '../../src/internal/connection-state.js';
import { ReconnectGate } from '../../src/internal/reconnect-gate.js';

function gate(answers: Array<boolean | Error>) {
  const scheduler = new VirtualTimeScheduler();
  const connection = new ConnectionStateMachine();
  const states: ConnectionState[] = [];
  connection.state$.subscribe((state) => states.push(state));
  let asked = 0;
  const verify = () =>
    defer(() => {
      const answer = answers[Math.min(asked++, answers.length - 1)];
      return answer instanceof Error ? throwError(() => answer) : of(answer as boolean);
    });
  return { scheduler, states, gate: new ReconnectGate(connection, scheduler, verify, 10, 100), asked: () => asked };
}

describe('the reconnect gate (SPI verify)', () => {
  it('reports reconnected once the driver proves its holds', () => {
    const t = gate([true]);
    t.gate.signal('suspended');
    t.gate.signal('reconnected');
    expect(t.states).toEqual(['connected', 'suspended', 'reconnected']);
  });

  it('turns an unproven reconnect into a loss, then a new session', () => {
    const t = gate([false]);
    t.gate.signal('suspended');
    t.gate.signal('reconnected');
    expect(t.states).toEqual(['connected', 'suspended', 'lost', 'reconnected']);
  });

  it('stays suspended while the check fails, and asks again with backoff', () => {
    const t = gate([new Error('down'), new Error('down'), true]);
    t.gate.signal('suspended');
    t.gate.signal('reconnected');
    expect(t.states).toEqual(['connected', 'suspended']);
    t.scheduler.flush();
    expect(t.asked()).toBe(3);
    expect(t.states).toEqual(['connected', 'suspended', 'reconnected']);
  });

  it('does not ask after a loss: that reconnect is a new session already', () => {
    const t = gate([false]);
    t.gate.signal('lost');
    t.gate.signal('reconnected');
    expect(t.asked()).toBe(0);
    expect(t.states).toEqual(['connected', 'lost', 'reconnected']);
  });
});
