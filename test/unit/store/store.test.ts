import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { definitionSchema } from '../../../src/conference/definition';
import { DefinitionStore } from '../../../src/store/DefinitionStore';
import { RecordingsIndex } from '../../../src/store/RecordingsIndex';
import { Store } from '../../../src/store/Store';

const schedule = { start: '2026-12-01T10:00:00.000Z', end: '2026-12-01T11:00:00.000Z', earlyJoinMinutes: 10, endWarningsMinutes: [5] };

describe('Store', () => {
  it('keeps definitions and recordings across a reopen, with migrations run once', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'store-')), 'meetme.sqlite');
    const first = new Store(path);
    expect(first.version).to.equal(5);
    new DefinitionStore(first).create({ number: '42', name: 'Board', pin: '1', options: 'Mc', schedule });
    new RecordingsIndex(first).started({ name: 'meetme-42-x', conference: '42', location: 'local', path: '/tmp/x.wav' });
    new RecordingsIndex(first).started({
      name: 'meetme-42-x-p1',
      conference: '42',
      location: 'local',
      path: '/tmp/p1.wav',
      participant: 'p1',
    });
    first.close();
    const second = new Store(path);
    expect(second.version).to.equal(5);
    expect(new DefinitionStore(second).get('42')).to.deep.equal({ number: '42', name: 'Board', pin: '1', options: 'Mc', schedule });
    expect(new RecordingsIndex(second).get('meetme-42-x')).to.include({ conference: '42', location: 'local', participant: null });
    expect(new RecordingsIndex(second).get('meetme-42-x-p1')).to.include({ conference: '42', participant: 'p1' });
    second.close();
  });

  it('leaves the previous state when a write fails half way', () => {
    const store = new Store(':memory:');
    const defs = new DefinitionStore(store);
    defs.create({ number: '1', name: 'One', options: '' });
    expect(() =>
      store.db.transaction(() => {
        store.db.prepare("UPDATE definitions SET name = 'changed' WHERE number = '1'").run();
        throw new Error('crash mid-write');
      })(),
    ).to.throw('crash mid-write');
    expect(defs.get('1').name).to.equal('One');
  });

  it('layers the config file over stored definitions, read-only', () => {
    const defs = new DefinitionStore(new Store(':memory:'), [{ number: '5', name: 'Static', options: '' }]);
    expect(defs.lookup('5')).to.include({ static: true });
    expect(() => defs.create({ number: '5', name: 'x', options: '' }))
      .to.throw()
      .with.property('code', 'definition_read_only');
    expect(() => defs.remove('5'))
      .to.throw()
      .with.property('code', 'definition_read_only');
    defs.create({ number: '6', name: 'Stored', options: '' });
    expect(defs.list().map((d) => d.number)).to.deep.equal(['5', '6']);
    expect(() => defs.create({ number: '6', name: 'again', options: '' }))
      .to.throw()
      .with.property('code', 'definition_exists');
  });

  it('refuses bad options and schedules, naming the field', () => {
    const defs = new DefinitionStore(new Store(':memory:'));
    expect(() => defs.create({ number: '7', name: 'x', options: 'MZ' }))
      .to.throw()
      .with.nested.property('details.field', 'options');
    expect(() => defs.create({ number: '7', name: 'x', options: '', schedule: { ...schedule, end: schedule.start } }))
      .to.throw()
      .with.nested.property('details.field', 'schedule.end');
    expect(defs.lookup('7')).to.equal(undefined);
  });

  it('stores every field of the definition, each in its own column', () => {
    const store = new Store(':memory:');
    const columns = (store.db.prepare('PRAGMA table_info(definitions)').all() as { name: string }[]).map((c) => c.name);
    const fields = Object.keys(definitionSchema.shape).map((f) => f.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));
    expect(columns).to.include.members(fields);
    const full = {
      number: '8',
      name: 'Everything',
      pin: '12',
      adminPin: '34',
      options: 'Mc',
      maxMembers: 9,
      mixer: 'asterisk' as const,
      recording: 'always' as const,
      schedule,
      callerFlow: { announceJoinLeave: true, prompts: { kicked: 'custom/bye' }, exitContext: 'after', exitDigits: '12' },
      media: {
        talkingThreshold: 300,
        silenceThresholdMs: 2500,
        energyLevel: 200,
        autoGainLevel: 1500,
        denoise: true,
        recordParticipants: true,
        wideband: true,
      },
    };
    expect(Object.keys(full).sort()).to.deep.equal(Object.keys(definitionSchema.shape).sort());
    const defs = new DefinitionStore(store);
    defs.create(full);
    expect(defs.get('8')).to.deep.equal(full);
  });
});
