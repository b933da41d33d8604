/** npm run test:e2e: the local stack end to end (CLI, export round trips, the crash test): minutes, run in CI after npm test. */
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testPathIgnorePatterns: ['/node_modules/'],
  testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
  testTimeout: 900000,
  maxWorkers: 1,
};
