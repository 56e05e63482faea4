import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../../src/config/load';

function configFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'meetme-config-')), 'c.yaml');
  writeFileSync(path, text);
  return path;
}

describe('capacity: in the config', () => {
  it('defaults to 8 weeks of history, 500 participants a node with 20% headroom, 30 minutes lead, no hook', () => {
    expect(loadConfig({ env: {} }).capacity).to.deep.equal({
      retentionDays: 56,
      nodeCapacity: 500,
      headroom: 0.2,
      leadMinutes: 30,
      minNodes: 1,
      weeks: 4,
      bookedParticipants: 10,
    });
  });

  it('takes a command or a webhook hook', () => {
    const command = loadConfig({ file: configFile('capacity:\n  hook:\n    command: ./scale.sh\n'), env: {} });
    expect(command.capacity.hook).to.deep.equal({ command: './scale.sh', timeoutMs: 60000 });
    const webhook = loadConfig({
      file: configFile('capacity:\n  hook:\n    url: https://ops.example/scale\n    timeoutMs: 5000\n'),
      env: {},
    });
    expect(webhook.capacity.hook).to.deep.equal({ url: 'https://ops.example/scale', timeoutMs: 5000 });
  });

  it('names each bad key: a negative headroom, maxNodes under minNodes, a retention of zero', () => {
    const file = configFile('capacity:\n  headroom: -0.1\n  retentionDays: 0\n');
    try {
      loadConfig({ file, env: {} });
      expect.fail('accepted');
    } catch (error) {
      expect(error).to.be.instanceOf(ConfigError);
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).to.match(/^capacity\.headroom: /m);
      expect(problems).to.match(/^capacity\.retentionDays: /m);
    }
    try {
      loadConfig({ file: configFile('capacity:\n  minNodes: 3\n  maxNodes: 2\n'), env: {} });
      expect.fail('accepted');
    } catch (error) {
      expect((error as ConfigError).problems).to.deep.equal(['capacity.maxNodes: maxNodes must be at least minNodes']);
    }
  });
});
