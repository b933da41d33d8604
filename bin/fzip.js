#!/usr/bin/env node
// Runs the TypeScript CLI directly (transpile-only: no build step needed after npm ci).
const path = require('node:path');
require('ts-node').register({ transpileOnly: true, project: path.join(__dirname, '..', 'tsconfig.json') });
require('../cli/fzip')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
