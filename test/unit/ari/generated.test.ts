import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from '../../../scripts/ariCodegen';

const root = join(__dirname, '../../..');

describe('generated ARI types', () => {
  it('match what the generator makes from the vendored api-docs (run `npm run gen:ari` when this fails)', () => {
    const fresh = generate(join(root, 'src/ari/api-docs'));
    for (const [name, text] of Object.entries(fresh)) {
      expect(readFileSync(join(root, 'src/ari/generated', name), 'utf8'), name).to.equal(text);
    }
  });

  it('types every operation by its swagger nickname and every event in the union', () => {
    const { 'operations.ts': ops, 'models.ts': models } = generate(join(root, 'src/ari/api-docs'));
    expect(ops).to.match(/externalMedia: \(params: ChannelsExternalMediaParams\): Promise<M\.Channel>/);
    expect(ops).to.match(/direction\?: "both" \| "in" \| "out"/);
    expect(models).to.match(/\| StasisStart\n/);
    expect(models).to.match(/export interface ChannelDtmfReceived extends Event \{\n {2}type: "ChannelDtmfReceived";/);
  });
});
