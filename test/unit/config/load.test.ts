import { expect } from 'chai';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../../src/config/load';
import { PROMPT_NAMES } from '../../../src/conference/prompts';

function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'meetme-config-'));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('loadConfig', () => {
  it('gives working defaults with no file and no environment', () => {
    const config = loadConfig({ env: {} });
    expect(config.ari).to.include({ url: 'http://127.0.0.1:8088', username: 'asterisk', app: 'meetme' });
    expect(config.mixer.default).to.equal('auto');
  });

  it('takes ARI_URL, ARI_USERNAME, ARI_PASSWORD and ARI_APP from the environment over the file', () => {
    const file = tempFile('c.yaml', 'ari:\n  url: http://10.0.0.1:8088\n  app: fromfile\n');
    const config = loadConfig({
      file,
      env: { ARI_URL: 'http://asterisk:8088', ARI_USERNAME: 'u', ARI_PASSWORD: 'p', ARI_APP: 'conf' },
    });
    expect(config.ari).to.include({ url: 'http://asterisk:8088', username: 'u', password: 'p', app: 'conf' });
  });

  it('reads static conferences from YAML and JSON files', () => {
    const yaml = tempFile('c.yaml', 'conferences:\n  - number: "1234"\n    pin: "42"\n    options: Mc\n');
    expect(loadConfig({ file: yaml, env: {} }).conferences[0]).to.include({ number: '1234', pin: '42', options: 'Mc' });
    const json = tempFile('c.json', JSON.stringify({ conferences: [{ number: '99', adminPin: '7' }] }));
    expect(loadConfig({ file: json, env: {} }).conferences[0]).to.include({ number: '99', adminPin: '7', options: '' });
  });

  it('takes a schedule on a config-file conference, as the API does, and checks it as the API does', () => {
    const good = tempFile(
      'c.yaml',
      'conferences:\n  - number: "7"\n    schedule:\n      start: "2026-12-01T10:00:00Z"\n      end: "2026-12-01T11:00:00Z"\n',
    );
    expect(loadConfig({ file: good, env: {} }).conferences[0]!.schedule).to.deep.equal({
      start: '2026-12-01T10:00:00Z',
      end: '2026-12-01T11:00:00Z',
      earlyJoinMinutes: 10,
      endWarningsMinutes: [],
    });
    const bad = tempFile(
      'c.yaml',
      'conferences:\n  - number: "7"\n    options: MZ\n    schedule:\n      start: "2026-12-01T10:00:00Z"\n      end: "2026-12-01T09:00:00Z"\n',
    );
    expect(() => loadConfig({ file: bad, env: {} }))
      .to.throw(ConfigError, /conferences\.0\.schedule\.end: schedule.end must come after schedule.start/)
      .and.to.match(/conferences\.0\.options: unknown conference options: Z/);
  });

  it('lists every problem at once', () => {
    const file = tempFile('c.yaml', 'media:\n  port: 99999\nconferences:\n  - number: abc\n  - number: "1"\n  - number: "1"\nbogus: 1\n');
    try {
      loadConfig({ file, env: { MEDIA_PORT: 'twelve', MIXER: 'dahdi' } });
      expect.fail('should have thrown');
    } catch (error) {
      expect(error).to.be.instanceOf(ConfigError);
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).to.contain('MEDIA_PORT');
      expect(problems).to.contain('media.port');
      expect(problems).to.contain('conferences.0.number');
      expect(problems).to.contain('mixer.default');
      expect(problems).to.contain('bogus');
    }
  });

  it('reads DTMF menus and refuses unknown actions', () => {
    const good = tempFile('m.yaml', 'menus:\n  user:\n    "1": toggleMute\n    "2": leave\n');
    expect(loadConfig({ file: good, env: {} }).menus.user).to.deep.equal({ '1': 'toggleMute', '2': 'leave' });
    const bad = tempFile('m.yaml', 'menus:\n  admin:\n    "1": explode\n');
    expect(() => loadConfig({ file: bad, env: {} })).to.throw(ConfigError, /menus\.admin\.1/);
  });

  it('loads examples/config.yaml as shipped', () => {
    const file = join(__dirname, '../../../examples/config.yaml');
    const config = loadConfig({ file, env: {} });
    expect(config.conferences.map((c) => c.number)).to.include('3000');
    // It names every prompt an admin may replace.
    const text = readFileSync(file, 'utf8');
    for (const name of PROMPT_NAMES) expect(text).to.match(new RegExp(`\\b${name}\\b`), name);
  });

  it('reads prompt overrides as sounds, refusing unknown prompt names and sound names that are not names', () => {
    const good = tempFile('p.yaml', 'prompts:\n  getPin: custom/enter-pin\n  enterTone: beep\n');
    expect(loadConfig({ file: good, env: {} }).prompts).to.deep.equal({ getPin: 'sound:custom/enter-pin', enterTone: 'sound:beep' });
    const bad = tempFile('p.yaml', 'prompts:\n  getPn: beep\n  kicked: /etc/passwd\n');
    expect(() => loadConfig({ file: bad, env: {} }))
      .to.throw(ConfigError, /getPn/)
      .and.to.match(/prompts\.kicked: a sound name/);
  });

  it('reports a duplicate conference number', () => {
    const file = tempFile('c.yaml', 'conferences:\n  - number: "1"\n  - number: "1"\n');
    expect(() => loadConfig({ file, env: {} })).to.throw(ConfigError, /defined twice/);
  });

  it('reports an unreadable file by name', () => {
    expect(() => loadConfig({ file: '/nonexistent/meetme.yaml', env: {} })).to.throw(ConfigError, /nonexistent.*ENOENT/);
  });

  it('returns a frozen object', () => {
    const config = loadConfig({ env: {} });
    expect(Object.isFrozen(config)).to.equal(true);
    expect(Object.isFrozen(config.ari)).to.equal(true);
  });
});
