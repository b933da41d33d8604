import { ENTITY_KINDS } from '../../../functions/fzip/entities';
import { isFinished, isRunning, JOB_STATUSES } from '../../../functions/jobs/job';
import { countOf, IMPORT_STEPS, KIND_WORDS, PHASE_STEPS, STATUS_WORDS } from '../../../functions/jobs/vocabulary';
import { PHASES } from '../../../functions/workflow/import-phase';

describe('the vocabulary', () => {
  it.each(JOB_STATUSES.map((s) => [s]))('status %s has a label and the class its lifecycle gives it', (status) => {
    const words = STATUS_WORDS[status];
    expect(words.label).toMatch(/^[A-Z]/);
    const job = { status, validateOnly: false };
    expect(words.class).toBe(isFinished(job) ? 'finished' : isRunning(job) ? 'running' : 'waiting');
  });

  it('gives every kind its words, the phases the workflow reports, and a step of its own', () => {
    const steps = new Set<number>();
    for (const kind of ENTITY_KINDS) {
      expect(PHASES[kind].phase).toBe(KIND_WORDS[kind].importingPhase);
      expect(PHASE_STEPS[KIND_WORDS[kind].importingPhase]).toBe(KIND_WORDS[kind].step);
      expect(PHASE_STEPS[KIND_WORDS[kind].validatingPhase]).toBe(1);
      expect(IMPORT_STEPS[KIND_WORDS[kind].step].toLowerCase()).toBe(`import ${KIND_WORDS[kind].many}`);
      steps.add(KIND_WORDS[kind].step);
    }
    expect(steps.size).toBe(ENTITY_KINDS.length);
  });

  it('counts with separators and the right number', () => {
    expect(countOf('transactions', 20000)).toBe('20,000 transactions');
    expect(countOf('fileMaps', 1)).toBe('1 file map');
  });
});
