import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.driftloop/', 'dashboards/generated/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The gRPC transport decodes the wire form and calls serving/oip like the HTTP routes do; it never reaches into fastify.
    files: ['serving/grpc/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['fastify', '@fastify/*', '../routes/inference'],
              message: 'serving/grpc shares the protocol-neutral serving/oip code with HTTP, not the HTTP routes',
            },
          ],
        },
      ],
    },
  },
  {
    // Workflows must stay deterministic: no Node built-ins, no I/O; activities and stores only as types.
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                'node:*',
                'fs',
                'crypto',
                'pg',
                '../store/*',
                '../serving/*',
                '../training/*',
                '../alerts/*',
                '../activities/*',
                '../stats/*',
              ],
              message: 'workflow code must be deterministic: call an activity instead (type imports are fine)',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
  {
    // Deployment targets talk to the outside world only: the state they are told comes from the activity.
    files: ['targets/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '../store/*',
                '../serving/*',
                '../training/*',
                '../activities/*',
                '../workflows/*',
                '../stats/*',
                'pg',
              ],
              message:
                "a deployment target is told the state (targets/types.ts); reading the database is the activity's job",
            },
          ],
        },
      ],
    },
  },
  {
    // features/ holds definitions, windows and point-in-time logic: serving, training and activities call it, never the reverse.
    files: ['features/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../serving/*', '../training/*', '../activities/*', '../workflows/*', '../cli/*', '../alerts/*'],
              message: 'features/ sits below serving, training and the loop: take what you need as a parameter',
              allowTypeImports: false,
            },
          ],
        },
      ],
    },
  },
);
