/**
 * The web page's two generated files:
 *  - web/vocabulary.generated.js: the domain's words (kinds, statuses, steps, phases) from
 *    functions/jobs/vocabulary.ts, as an ES module the page imports;
 *  - functions/api/web-assets.generated.ts: the page (web/index.html, app.js, app.css and the
 *    vocabulary) embedded so the API Lambda serves it with no file system access (the same code
 *    locally and in AWS), versioned: the page names its assets with ?v={content hash}, and the
 *    API caches them for a year under that name (a deploy changes the name, never a stale script).
 *   npm run gen:web            write them
 *   npm run gen:web -- --check  fail when either is stale (a test runs this)
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeOrCheck } from './generated-file';
import { ENTITIES, ENTITY_KINDS } from '../functions/fzip/entities';
import { JOB_STATUSES, MERGE_STRATEGIES } from '../functions/jobs/job';
import { IMPORT_STEPS, KIND_WORDS, PHASE_STEPS, STATUS_WORDS, STEP } from '../functions/jobs/vocabulary';

const root = join(__dirname, '..');
const web = (file: string) => join(root, 'web', file);

const vocabulary = `/* Generated from functions/jobs/vocabulary.ts by \`npm run gen:web\`: do not edit. */
export const KINDS = ${JSON.stringify(ENTITY_KINDS)};
export const KIND_WORDS = ${JSON.stringify(Object.fromEntries(ENTITY_KINDS.map((k) => [k, { one: KIND_WORDS[k].one, many: KIND_WORDS[k].many, step: KIND_WORDS[k].step, file: ENTITIES[k].fileBase }])))};
export const STATUSES = ${JSON.stringify(JOB_STATUSES)};
export const STATUS_WORDS = ${JSON.stringify(STATUS_WORDS)};
export const MERGE_STRATEGIES = ${JSON.stringify(MERGE_STRATEGIES)};
export const STEPS = ${JSON.stringify(IMPORT_STEPS)};
export const STEP = ${JSON.stringify(STEP)};
export const PHASE_STEPS = ${JSON.stringify(PHASE_STEPS)};
`;
writeOrCheck(web('vocabulary.generated.js'), vocabulary, 'web/vocabulary.generated.js', 'npm run gen:web');

const read = (file: string) => (file === 'vocabulary.generated.js' ? vocabulary : readFileSync(web(file), 'utf8'));
const version = createHash('sha256')
  .update(['app.js', 'app.css', 'vocabulary.generated.js', 'index.html'].map(read).join('\0'))
  .digest('hex')
  .slice(0, 12);
const versioned = (text: string) =>
  text
    .replace(/(["'])\/app\.(js|css)\1/g, `$1/app.$2?v=${version}$1`)
    .replace(/(["'])\.\/vocabulary\.generated\.js\1/g, `$1./vocabulary.generated.js?v=${version}$1`);

const files: Array<[string, string, string]> = [
  ['/index.html', 'index.html', 'text/html; charset=utf-8'],
  ['/app.js', 'app.js', 'text/javascript; charset=utf-8'],
  ['/app.css', 'app.css', 'text/css; charset=utf-8'],
  ['/vocabulary.generated.js', 'vocabulary.generated.js', 'text/javascript; charset=utf-8'],
];
const body = files.map(([path, file, type]) => `  ${JSON.stringify(path)}: { contentType: ${JSON.stringify(type)}, body: ${JSON.stringify(versioned(read(file)))} },`).join('\n');
const out = `/* Generated from web/ by \`npm run gen:web\`: do not edit. */
/** The content hash the page names its assets with (?v=). */
export const WEB_VERSION = ${JSON.stringify(version)};
export const WEB_ASSETS: Readonly<Record<string, { contentType: string; body: string }>> = {
${body}
};
`;
writeOrCheck(join(root, 'functions', 'api', 'web-assets.generated.ts'), out, 'functions/api/web-assets.generated.ts', 'npm run gen:web');
