import { describe, expect, it } from 'vitest';
import { OrderedBehaviorSubject } from '../src/internal/ordered-subject.js';

describe('OrderedBehaviorSubject', () => {
  it('tells every subscriber a value set from inside a callback after the value being told', () => {
    const subject = new OrderedBehaviorSubject(false);
    const heard: string[] = [];
    subject.subscribe((value) => {
      heard.push(`first ${value}`);
      // A read inside the callback that finds a loss.
      if (value) subject.next(false);
    });
    subject.subscribe((value) => heard.push(`second ${value}`));
    subject.next(true);
    expect(heard).toEqual(['first false', 'second false', 'first true', 'second true', 'first false', 'second false']);
  });

  it('reads the latest value at once, while the earlier one is still being told', () => {
    const subject = new OrderedBehaviorSubject('held');
    const reads: string[] = [];
    subject.subscribe((value) => {
      if (value === 'at-risk') subject.next('lost');
    });
    subject.subscribe(() => reads.push(subject.value));
    subject.next('at-risk');
    expect(reads).toEqual(['held', 'lost', 'lost']);
  });

  it('keeps an error and a completion in order behind the values set before them', () => {
    const subject = new OrderedBehaviorSubject(0);
    const heard: string[] = [];
    subject.subscribe({
      next: (value) => {
        heard.push(`first ${value}`);
        if (value === 1) {
          subject.next(2);
          subject.error(new Error('gone'));
        }
      },
      error: () => heard.push('first error'),
    });
    subject.subscribe({ next: (value) => heard.push(`second ${value}`), error: () => heard.push('second error') });
    subject.next(1);
    expect(heard).toEqual([
      'first 0',
      'second 0',
      'first 1',
      'second 1',
      'first 2',
      'second 2',
      'first error',
      'second error',
    ]);
    expect(() => subject.value).toThrow('gone');
  });

  it('gives a subscriber that joins mid-delivery the value being told, then the ones after it', () => {
    const subject = new OrderedBehaviorSubject('a');
    const late: string[] = [];
    subject.subscribe((value) => {
      if (value !== 'b') return;
      subject.next('c');
      subject.subscribe((v) => late.push(v));
    });
    subject.next('b');
    expect(late).toEqual(['b', 'c']);
  });
});
