import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'clients/*/dist/', 'node_modules/', 'coverage/', '.engram/', '.scratch/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  {
    files: [
      'src/memory/**',
      'src/store/**',
      'src/crypto/**',
      'src/embed/**',
      'src/auth/**',
      'src/cli/**',
      'src/metrics/**',
      'src/ratelimit/**',
      'src/verify/**',
      'src/mcp/**',
      'src/search/**',
      'src/summarize/**',
    ],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['fastify', '@fastify/*', '**/http/**'], message: 'The domain and infrastructure layers must not depend on HTTP.' }] }],
    },
  },
  {
    files: ['src/cli/**', 'bench/**', 'scripts/**'],
    rules: { 'no-console': 'off' },
  },
);
