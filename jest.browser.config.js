/** npm run test:browser: the web page in headless Chromium (Debian's chromium, driven by playwright-core). */
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testPathIgnorePatterns: ['/node_modules/'],
  testMatch: ['<rootDir>/test/browser/**/*.test.ts'],
  testTimeout: 120000,
  maxWorkers: 1,
};
