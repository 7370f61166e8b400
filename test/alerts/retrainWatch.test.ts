/** The words of a retrain that ended without recording its outcome, as the notice and the released page say them. */
import { describe, expect, it } from 'vitest';
import { endedRetrainReason } from '../../activities/retrainWatch';
import { releasedPageMessage } from '../../alerts/incident';
import type { AlertMessage } from '../../alerts/types';

const closed = new Date('2026-12-02T10:30:00Z');

describe('endedRetrainReason', () => {
  it('says who terminated the run, when, and why', () => {
    expect(endedRetrainReason('retrain-loans', 'TERMINATED', closed, { identity: 'alice@ops', reason: 'stuck' })).toBe(
      'retrain workflow retrain-loans was terminated at 2026-12-02T10:30:00.000Z by alice@ops: stuck without recording an outcome',
    );
  });

  it('leaves out what Temporal does not know', () => {
    expect(endedRetrainReason('retrain-loans', 'TERMINATED', closed, { identity: '', reason: null })).toBe(
      'retrain workflow retrain-loans was terminated at 2026-12-02T10:30:00.000Z without recording an outcome',
    );
    expect(endedRetrainReason('retrain-loans', 'TIMED_OUT', null, null)).toBe(
      'retrain workflow retrain-loans timed out without recording an outcome',
    );
    expect(endedRetrainReason('retrain-loans', 'NOT_FOUND', null, null)).toBe(
      'retrain workflow retrain-loans is unknown to Temporal (its history is gone) without recording an outcome',
    );
  });
});

describe('releasedPageMessage', () => {
  it('replaces the promise the page was held with by what happened, keeping the rest', () => {
    const held = {
      incidentId: 7,
      model: 'loans',
      kind: 'performance',
      summary: 'loans: performance decay',
      next: 'retrain_started',
      nextText: 'A retrain has started; you will hear when the new model is deployed.',
    } as unknown as AlertMessage;
    const released = releasedPageMessage(held, 'retrain workflow retrain-loans timed out without recording an outcome');
    expect(released).toMatchObject({ incidentId: 7, summary: 'loans: performance decay', next: 'investigate' });
    expect(released.nextText).toBe(
      'This page was held while a retrain ran, and that retrain ended without an outcome: retrain workflow ' +
        'retrain-loans timed out without recording an outcome. Investigate; the next monitoring round starts a ' +
        'new retrain if the problem lasts.',
    );
  });
});
