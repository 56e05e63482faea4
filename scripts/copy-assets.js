// Copies non-TypeScript files the app serves or reads (console, api-docs) next to the compiled code.
const { cpSync, existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
for (const dir of ['src/api/console', 'src/api/join', 'src/ari/api-docs']) {
  const from = join(root, dir);
  if (existsSync(from)) cpSync(from, join(root, 'dist', dir), { recursive: true });
}
