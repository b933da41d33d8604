// ESLint (flat config): typescript-eslint's recommended rules over the whole project, jest's
// rules over the tests, and what reviews found by hand: unused imports and variables, filler
// assertions (toBeDefined / toBeTruthy say nothing about behaviour), over-long lines.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import jest from 'eslint-plugin-jest';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'cdk.out/**', '.fzip-local/**', 'coverage/**', 'functions/fzip/types.generated.ts', 'functions/fzip/validators.generated.ts', 'web/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-require-imports': 'error',
      'max-len': ['error', { code: 180, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreUrls: true }],
      'no-constant-condition': ['error', { checkLoops: false }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    files: ['test/**/*.ts'],
    ...jest.configs['flat/recommended'],
    rules: {
      ...jest.configs['flat/recommended'].rules,
      'jest/no-restricted-matchers': ['error', { toBeDefined: 'say what the value must be', toBeTruthy: 'say what the value must be', toBeFalsy: 'say what the value must be' }],
      'jest/expect-expect': ['error', { assertFunctionNames: ['expect', 'conforms', '*.hasResourceProperties', '*.hasResource', '*.resourceCountIs'] }],
      'jest/no-conditional-expect': 'off',
      'jest/valid-title': 'off',
    },
  },
  {
    files: ['web/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: {
        window: 'readonly', document: 'readonly', location: 'readonly', history: 'readonly', sessionStorage: 'readonly', fetch: 'readonly',
        crypto: 'readonly', TextEncoder: 'readonly', URLSearchParams: 'readonly', FormData: 'readonly', XMLHttpRequest: 'readonly',
        setTimeout: 'readonly', clearTimeout: 'readonly', atob: 'readonly', btoa: 'readonly', Node: 'readonly', confirm: 'readonly',
      },
    },
  },
  { files: ['**/*.js', '**/*.cjs', 'bin/**'], ignores: ['web/**'], rules: { '@typescript-eslint/no-require-imports': 'off' }, languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly', console: 'readonly' } } },
);
