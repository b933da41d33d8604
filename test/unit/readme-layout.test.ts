/** README's Layout names every source folder and every Lambda handler: the map stays true to the code. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const layout = /## Layout\n+```\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';

describe("README's Layout", () => {
  it('names every folder of functions/ and every top-level source folder', () => {
    const folders = readdirSync(join(root, 'functions'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => `functions/${d.name}/`);
    const top = ['statemachine/', 'infra/', 'local/', 'cli/', 'scripts/', 'web/', 'bench/', 'docs/', 'test/unit/', 'test/integration/', 'test/e2e/', 'test/browser/', 'test/crash/', 'test/infra/'];
    expect([...folders, ...top].filter((f) => !new RegExp(`^${f.replace(/\//g, '\\/')}`, 'm').test(layout))).toEqual([]);
  });

  it('names every Lambda handler', () => {
    const handlers = readdirSync(join(root, 'functions', 'handlers')).filter((f) => f.endsWith('.ts')).map((f) => f.replace(/\.ts$/, ''));
    const line = /functions\/handlers\/[\s\S]*?(?=\n\S)/.exec(layout)?.[0] ?? '';
    expect(handlers.filter((h) => !new RegExp(`\\b${h}\\b`).test(line))).toEqual([]);
  });
});
