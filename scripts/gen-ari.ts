import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from './ariCodegen';

const root = join(__dirname, '..');
const output = generate(join(root, 'src/ari/api-docs'));
for (const [name, text] of Object.entries(output)) {
  writeFileSync(join(root, 'src/ari/generated', name), text);
  console.log(`wrote src/ari/generated/${name}`);
}
