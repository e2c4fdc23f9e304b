// ESLint flat config: typescript-eslint for type-aware rules, eslint-plugin-security for
// Node-specific hazards (dynamic require, non-literal fs paths, timing-unsafe comparisons).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import security from 'eslint-plugin-security';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  security.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Object keys here come from validated schemas and typed maps, not from raw user input;
      // this rule flags every obj[key] and would bury real findings.
      'security/detect-object-injection': 'off',
      // Paths are built from Q2_DATA_DIR and fixed names; the rule cannot tell them from user input.
      'security/detect-non-literal-fs-filename': 'off',
      'no-restricted-syntax': ['error', {
        selector: "CallExpression[callee.property.name='raw'][callee.object.name='sql']",
        message: 'sql.raw builds SQL from strings; use parameterised Kysely queries.',
      }],
    },
  },
  { files: ['console/**/*.js'], languageOptions: { globals: globals.browser } },
  { files: ['scripts/**/*.mjs', 'eslint.config.js'], languageOptions: { globals: globals.node } },
  {
    files: ['**/*.test.ts', 'test/**', 'bench/**'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
