import path from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const root = path.dirname(fileURLToPath(import.meta.url));

const BELOW_CLI = [
  'stats',
  'config',
  'store',
  'features',
  'onnx',
  'serving',
  'training',
  'registration',
  'alerts',
  'targets',
  'activities',
  'workflows',
  'control',
  'dashboards',
];

/**
 * The layering: which of our folders each folder may import, the same as the "may import" column
 * of the README folder table (test/foundation/layers.test.ts checks that they agree). `types`:
 * folders it may import types from only. `pg`: may use the PostgreSQL driver. `sql`: may hold SQL.
 */
export const LAYERS = {
  stats: { imports: [] },
  config: { imports: ['features', 'stats'] },
  store: { imports: ['stats', 'config'], types: ['onnx', 'alerts', 'features'], pg: true, sql: true },
  features: { imports: ['config', 'store', 'stats'], types: ['onnx'] },
  onnx: { imports: ['config'] },
  serving: { imports: ['config', 'features', 'onnx', 'store', 'stats'] },
  training: { imports: ['config', 'onnx', 'stats'] },
  registration: { imports: ['config', 'onnx', 'stats', 'store', 'training'] },
  alerts: { imports: [] },
  targets: { imports: ['alerts', 'config'] },
  activities: {
    imports: [
      'alerts',
      'config',
      'features',
      'onnx',
      'registration',
      'serving',
      'stats',
      'store',
      'targets',
      'training',
    ],
  },
  workflows: {
    imports: [],
    types: ['activities', 'alerts', 'config', 'features', 'onnx', 'serving', 'stats', 'store', 'targets', 'training'],
  },
  control: { imports: ['config', 'store', 'workflows'] },
  dashboards: { imports: ['alerts', 'stats'], sql: true },
  cli: { imports: BELOW_CLI },
  testing: { imports: [...BELOW_CLI, 'cli'], pg: true, sql: true },
  test: { imports: [...BELOW_CLI, 'cli', 'testing'], pg: true, sql: true },
  bench: { imports: [...BELOW_CLI, 'cli', 'testing'], pg: true, sql: true },
  examples: { imports: [] },
};

const SQL_START =
  /^\s*(SELECT\s|INSERT\s+INTO\s|UPDATE\s+\w+\s+SET\s|DELETE\s+FROM\s|WITH\s+\w+\s+AS\s*\(|CREATE\s+(TABLE|DATABASE|INDEX|UNLOGGED)\s|ALTER\s+TABLE\s|DROP\s+(TABLE|DATABASE)\s|TRUNCATE\s|LISTEN\s|UNLISTEN\s|COPY\s+\S+.*\sFROM\s+STDIN|DECLARE\s+\w+\s+CURSOR|FETCH\s+\d+\s)/;

function topFolder(file) {
  const rel = path.relative(root, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return null;
  const parts = rel.split(path.sep);
  return parts.length > 1 ? parts[0] : '(root)';
}

function isTypeOnly(node) {
  if (node.importKind === 'type' || node.exportKind === 'type') return true;
  const specifiers = node.specifiers ?? [];
  return specifiers.length > 0 && specifiers.every((s) => s.importKind === 'type' || s.exportKind === 'type');
}

const layersPlugin = {
  rules: {
    'allowed-imports': {
      meta: { type: 'problem', schema: [{ type: 'object', additionalProperties: true }] },
      create(context) {
        const layer = context.options[0];
        const here = topFolder(context.filename);
        function check(node, source, typeOnly) {
          if (typeof source !== 'string') return;
          if (/^pg($|-)/.test(source)) {
            if (!layer.pg) {
              context.report({
                node,
                message: `${here}/ may not use ${source}: the PostgreSQL driver is store/'s (add a typed query or helper there)`,
              });
            }
            return;
          }
          if (!source.startsWith('.')) return;
          const target = topFolder(path.resolve(path.dirname(context.filename), source));
          if (target === null || target === here) return;
          if (layer.imports.includes(target)) return;
          if (typeOnly && (layer.types ?? []).includes(target)) return;
          const types = (layer.types ?? []).includes(target) ? ' except as types (import type)' : '';
          context.report({
            node,
            message: `${here}/ may not import ${target}/${types}: the README folder table (LAYERS in eslint.config.js) allows ${here}/ ${[...layer.imports].join(', ') || 'none of our folders'}`,
          });
        }
        return {
          ImportDeclaration: (node) => check(node, node.source.value, isTypeOnly(node)),
          ExportNamedDeclaration: (node) => node.source && check(node, node.source.value, isTypeOnly(node)),
          ExportAllDeclaration: (node) => check(node, node.source.value, node.exportKind === 'type'),
          ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value, false),
          TSImportType: (node) => {
            const arg = node.argument?.literal ?? node.argument;
            if (arg && typeof arg.value === 'string') check(node, arg.value, true);
          },
        };
      },
    },
    'no-sql': {
      meta: { type: 'problem', schema: [] },
      create(context) {
        const report = (node) =>
          context.report({
            node,
            message: 'SQL belongs in store/ (a typed query) or dashboards/: call a store function from here',
          });
        return {
          Literal: (node) => typeof node.value === 'string' && SQL_START.test(node.value) && report(node),
          TemplateLiteral: (node) =>
            SQL_START.test(node.quasis.map((q) => q.value.cooked ?? '').join('$')) && report(node),
        };
      },
    },
  },
};

const layerEntries = Object.entries(LAYERS).map(([folder, layer]) => ({
  files: [`${folder}/**/*.ts`],
  plugins: { layers: layersPlugin },
  rules: {
    'layers/allowed-imports': ['error', layer],
    'layers/no-sql': layer.sql ? 'off' : 'error',
  },
}));

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
  ...layerEntries,
);
