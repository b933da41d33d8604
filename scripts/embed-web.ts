/**
 * Embeds the web page (web/index.html, app.js, app.css) into functions/api/web-assets.generated.ts,
 * so the API Lambda serves it with no file system access (the same code locally and in AWS).
 *   npm run gen:web            write it
 *   npm run gen:web -- --check  fail when it is stale (a test runs this)
 */
import { readFileSync } from 'node:fs';
import { writeOrCheck } from './generated-file';
import { join } from 'node:path';

const root = join(__dirname, '..');
const files: Array<[string, string, string]> = [
  ['/index.html', 'index.html', 'text/html; charset=utf-8'],
  ['/app.js', 'app.js', 'text/javascript; charset=utf-8'],
  ['/app.css', 'app.css', 'text/css; charset=utf-8'],
];
const body = files
  .map(([path, file, type]) => `  ${JSON.stringify(path)}: { contentType: ${JSON.stringify(type)}, body: ${JSON.stringify(readFileSync(join(root, 'web', file), 'utf8'))} },`)
  .join('\n');
const out = `/* Generated from web/ by \`npm run gen:web\`: do not edit. */
export const WEB_ASSETS: Readonly<Record<string, { contentType: string; body: string }>> = {
${body}
};
`;
const target = join(root, 'functions', 'api', 'web-assets.generated.ts');
writeOrCheck(target, out, 'functions/api/web-assets.generated.ts', 'npm run gen:web');
