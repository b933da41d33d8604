import * as workflow from '../../../functions/handlers/workflow';
import * as exportWorkflow from '../../../functions/handlers/export-workflow';
import { EXPORT_STEPS, WORKFLOW_STEPS } from '../../../functions/workflow/steps';

// CDK points a Lambda at `handlers/workflow.{handler}` for each step: a step without its export
// would deploy a function that cannot start.
describe('the state machines’ handler modules', () => {
  it('export exactly one function per step of the import workflow', () => {
    const names = Object.values(WORKFLOW_STEPS).map((s) => s.handler).sort();
    expect(Object.keys(workflow).sort()).toEqual(names);
    for (const n of names) expect(typeof (workflow as Record<string, unknown>)[n]).toBe('function');
  });

  it('export one function per step of the export workflow', () => {
    const names = Object.values(EXPORT_STEPS).map((s) => s.handler);
    for (const n of names) expect(typeof (exportWorkflow as Record<string, unknown>)[n]).toBe('function');
  });
});
