/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  setupFiles: ['<rootDir>/test/setup/polyfills.js', '<rootDir>/test/setup/env.js'],
  testMatch: ['**/*.test.ts'],
  // the browser tests need Chromium: npm run test:browser (jest.browser.config.js); the local
  // stack end to end runs in npm run test:e2e (jest.e2e.config.js)
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/browser/', '<rootDir>/test/e2e/', '<rootDir>/test/crash/'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  // generous: a busy 2-core machine must not turn a slow test into a failure (no test asserts a time)
  testTimeout: 180000,
};
