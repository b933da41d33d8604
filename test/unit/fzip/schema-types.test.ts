import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

describe('generated types', () => {
  it('match the JSON Schemas (run npm run gen:types after changing a schema)', () => {
    // json-schema-to-typescript needs dynamic import, which jest's VM lacks: run it in a child process.
    const root = join(__dirname, '../../..');
    const out = execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', 'scripts/generate-types.ts', '--check'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(out).toContain('up to date');
  });
});
