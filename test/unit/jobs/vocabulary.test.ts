import { ENTITY_KINDS } from '../../../functions/fzip/entities';
import { isFinished, isRunning, JOB_STATUSES } from '../../../functions/jobs/job';
import { countOf, IMPORT_STEPS, KIND_WORDS, PHASE_STEPS, STATUS_WORDS } from '../../../functions/jobs/vocabulary';
import { PHASES } from '../../../functions/workflow/import-phase';
import { IMPORT_PROGRESS, transactionsProgress } from '../../../functions/jobs/vocabulary';
import { jobView } from '../../../functions/jobs/job-view';

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

describe('import progress', () => {
  it('starts each kind a step further, and moves through the transactions to 99 as they are written', () => {
    expect(Object.values(IMPORT_PROGRESS)).toEqual([32, 34, 36, 38, 40]);
    expect([0, 50, 100, 150].map((done) => transactionsProgress(done, 100))).toEqual([40, 70, 99, 99]);
  });

  it('the job view shows the records written while transactions are written, never less than what is stored', () => {
    const job = { importId: 'i', userId: 'u', status: 'processing', progress: 40, currentPhase: 'importing_transactions', recordsDone: 500, recordsTotal: 1000, uploadedAt: 0, expiresAt: 0 } as never;
    expect(jobView(job).progress).toBe(70);
    expect(jobView({ ...(job as object), progress: 80 } as never).progress).toBe(80);
    expect(jobView({ ...(job as object), status: 'canceling' } as never).progress).toBe(40);
  });
});
