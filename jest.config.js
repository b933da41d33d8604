/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  setupFiles: ['<rootDir>/test/setup/polyfills.js', '<rootDir>/test/setup/env.js'],
  testMatch: ['**/*.test.ts'],
  // the browser tests need Chromium: npm run test:browser (jest.browser.config.js)
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/browser/'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  testTimeout: 60000,
};
