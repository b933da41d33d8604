import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES, WARNING_CODES } from '../../../functions/fzip/issues';

const root = join(__dirname, '../../..');
const doc = readFileSync(join(root, 'docs/fzip-format.md'), 'utf8');

describe('docs/fzip-format.md', () => {
  it('has field tables generated from the current schemas (run npm run gen:docs)', () => {
    const out = execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', 'scripts/schema-docs.ts', '--check'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(out).toContain('up to date');
  });

  it.each([...ERROR_CODES, ...WARNING_CODES])('documents the code %s', (code) => {
    expect(doc).toContain(`\`${code}\``);
  });
});
