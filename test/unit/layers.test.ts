import { expect } from 'chai';
import { ESLint, Linter } from 'eslint';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = join(__dirname, '../..');

interface Layers {
  MAY_IMPORT: Record<string, string[]>;
  PENDING: Record<string, string[]>;
}

/** README's layout table: folder -> the folders it may import. */
function readmeLayers(): Record<string, string[]> {
  const layers: Record<string, string[]> = {};
  for (const m of readFileSync(join(root, 'README.md'), 'utf8').matchAll(/^\| `src\/([a-z]+)` \|[^|]*\| ([^|]*) \|$/gm))
    layers[m[1]!] = m[2]!.trim() === 'nothing' ? [] : [...m[2]!.matchAll(/`([a-z]+)`/g)].map((n) => n[1]!);
  return layers;
}

describe('layers: what each folder of src/ may import', function () {
  this.timeout(30000);
  let layers: Layers;
  before(async () => {
    layers = (await import(pathToFileURL(join(root, 'eslint.config.mjs')).href)) as Layers;
  });

  it('README and the lint config say the same, for every folder of src/', () => {
    expect(readmeLayers()).to.deep.equal(layers.MAY_IMPORT);
  });

  it('eslint refuses an import from every folder a folder may not import, and only those', async () => {
    const eslint = new ESLint({ cwd: root });
    const linter = new Linter();
    const folders = Object.keys(layers.MAY_IMPORT);
    for (const folder of folders) {
      const file = join(root, 'src', folder, 'probe.ts');
      const config = (await eslint.calculateConfigForFile(file)) as { rules: Linter.RulesRecord };
      const rule = config.rules['no-restricted-imports'];
      for (const other of folders.filter((f) => f !== folder)) {
        const pending = (layers.PENDING[folder] ?? []).includes(other);
        const forbidden = !layers.MAY_IMPORT[folder]!.includes(other) && !pending;
        for (const source of [`../${other}/x`, `../../${other}/y/z`, `../${other}`]) {
          const messages = linter.verify(`import '${source}';`, {
            languageOptions: { sourceType: 'module' },
            rules: { 'no-restricted-imports': rule ?? 'off' },
          });
          expect(messages.length, `src/${folder} importing ${source}`).to.equal(forbidden ? 1 : 0);
        }
      }
    }
  });
});
