import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * What each folder of src/ may import from the others; data flows one way. README's layout table
 * says the same, and test/unit/layers.test.ts checks that both agree and that eslint enforces it.
 */
export const MAY_IMPORT = {
  lib: [],
  ari: ['lib'],
  timing: ['lib'],
  media: ['lib', 'timing'],
  conference: ['lib'],
  config: ['lib', 'conference'],
  store: ['lib', 'conference', 'capacity'],
  capacity: ['lib'],
  sip: ['lib'],
  webrtc: ['lib', 'conference'],
  api: ['lib', 'conference', 'config', 'store', 'capacity', 'webrtc'],
  cluster: ['lib', 'conference', 'config', 'capacity'],
  app: ['lib', 'ari', 'timing', 'media', 'conference', 'config', 'store', 'api', 'capacity', 'webrtc', 'sip', 'cluster'],
  ha: ['lib', 'media', 'config', 'cluster', 'app'],
  cli: ['lib', 'ari', 'timing', 'media', 'conference', 'config', 'store', 'api', 'capacity', 'webrtc', 'sip', 'cluster', 'app', 'ha'],
};

/**
 * Imports the layout forbids that are still in the tree, each with what removes it; the rule for
 * each pair is off until then. Delete an entry once its import is gone.
 */
export const PENDING = {};

const layers = Object.entries(MAY_IMPORT).map(([folder, allowed]) => {
  const others = Object.keys(MAY_IMPORT).filter((f) => f !== folder && !allowed.includes(f) && !(PENDING[folder] ?? []).includes(f));
  return {
    files: [`src/${folder}/**/*.ts`],
    rules: {
      'no-restricted-imports':
        others.length === 0
          ? 'off'
          : [
              'error',
              {
                patterns: [
                  {
                    regex: `^(\\.\\./)+(${others.join('|')})(/|$)`,
                    message: `src/${folder} may import only from ${allowed.length > 0 ? allowed.map((f) => `src/${f}`).join(', ') : 'itself'} (README: Layout).`,
                  },
                ],
              },
            ],
    },
  };
});

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'src/ari/generated/**',
      'src/api/console/**',
      'src/api/join/**',
      'eslint.config.mjs',
      'scripts/*.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-expressions': 'off',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
    },
  },
  {
    files: ['src/ari/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
  ...layers,
);
