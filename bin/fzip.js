#!/usr/bin/env node
// Runs the TypeScript CLI from source (transpile-only: no build step needed after npm ci).
const path = require('node:path');
require('ts-node').register({ transpileOnly: true, project: path.join(__dirname, '..', 'tsconfig.json') });
require('../local/polyfills');
require('../cli/fzip-main');
