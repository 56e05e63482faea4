import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { definitionSchema } from '../../../src/conference/definition';
import type { ConferenceDefinition } from '../../../src/conference/ports';
import { AppError } from '../../../src/lib/errors';
import { SharedStore } from '../../../src/store/SharedStore';
import { captureLogger } from '../../support/logger';
import { PostgresServer } from '../../support/postgresServer';
import { DefinitionStore } from '../../../src/store/DefinitionStore';
import { RecordingsIndex } from '../../../src/store/RecordingsIndex';
import { Store } from '../../../src/store/Store';

const schedule = { start: '2026-12-01T10:00:00.000Z', end: '2026-12-01T11:00:00.000Z', earlyJoinMinutes: 10, endWarningsMinutes: [5] };

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).to.be.instanceOf(AppError);
  return error as AppError;
}

/** Each engine's definitions and recordings: SQLite alone, or PostgreSQL mirrored into memory. */
interface Engine {
  name: string;
  open(fixed?: ConferenceDefinition[]): Promise<{ definitions: DefinitionStore; recordings: RecordingsIndex; close(): Promise<void> }>;
}

let postgres: PostgresServer | undefined;
const opened: (() => Promise<void>)[] = [];
const engines: Engine[] = [
  {
    name: 'SQLite',
    open: async (fixed = []) => {
      const store = new Store(':memory:');
      return { definitions: new DefinitionStore(store, fixed), recordings: new RecordingsIndex(store), close: async () => store.close() };
    },
  },
  {
    name: 'PostgreSQL',
    open: async (fixed = []) => {
      const cache = new Store(':memory:');
      const shared = await SharedStore.connect(postgres!.url, cache, captureLogger().logger);
      const close = async (): Promise<void> => {
        await shared.close();
        cache.close();
      };
      opened.push(close);
      return { definitions: new DefinitionStore(cache, fixed, shared), recordings: new RecordingsIndex(cache, shared), close };
    },
  },
];

describe('Store on each engine', function () {
  this.timeout(30000);
  before(async () => {
    postgres = await PostgresServer.start();
  });
  afterEach(async () => {
    for (const close of opened.splice(0)) await close();
  });
  after(async () => {
    await postgres?.stop();
  });

  for (const engine of engines) {
    describe(engine.name, () => {
      it('layers the config file over stored definitions, read-only', async () => {
        const { definitions: defs } = await engine.open([{ number: '5', name: 'Static', options: '' }]);
        for (const number of (await engine.open()).definitions.list().map((d) => d.number))
          await defs.remove(number).catch(() => undefined);
        expect(defs.lookup('5')).to.include({ static: true });
        expect((await rejection(defs.create({ number: '5', name: 'x', options: '' }))).code).to.equal('definition_read_only');
        expect((await rejection(defs.remove('5'))).code).to.equal('definition_read_only');
        await defs.create({ number: '6', name: 'Stored', options: '' });
        expect(defs.list().map((d) => d.number)).to.deep.equal(['5', '6']);
        expect((await rejection(defs.create({ number: '6', name: 'again', options: '' }))).code).to.equal('definition_exists');
        await defs.replace('6', { name: 'Renamed', options: 'M' });
        expect(defs.get('6')).to.include({ name: 'Renamed', options: 'M' });
        expect((await rejection(defs.replace('66', { name: 'x', options: '' }))).code).to.equal('definition_not_found');
        await defs.remove('6');
        expect(defs.lookup('6')).to.equal(undefined);
      });

      it('keeps the parts of a recording linked, with the node that holds them, where every instance reads them', async () => {
        const first = await engine.open();
        const at = { conference: '9', location: 'asterisk', node: 'ast-2' } as const;
        first.recordings.started({ name: 'meetme-9-s', path: 'meetme-9-s.wav', ...at });
        // Ended by the next holder, which finds the part on a caller's channel (its own index may never have had it).
        first.recordings.interrupted(
          { name: 'meetme-9-s', path: 'meetme-9-s.wav', startedAt: '2026-12-01T10:00:00.000Z', ...at },
          { sizeBytes: 16044, durationSeconds: 1 },
        );
        first.recordings.started({ name: 'meetme-9-s-part2', path: 'meetme-9-s-part2.wav', session: 'meetme-9-s', part: 2, ...at });
        // PostgreSQL: written behind, read back by a fresh instance.
        const reader = engine.name === 'PostgreSQL' ? (await first.close(), await engine.open()) : first;
        const parts = reader.recordings
          .list(new Set(['9']))
          .map((e) => ({ name: e.name, session: e.session, part: e.part, node: e.node, ended: e.endedAt !== null, size: e.sizeBytes }));
        expect(parts).to.deep.equal([
          { name: 'meetme-9-s-part2', session: 'meetme-9-s', part: 2, node: 'ast-2', ended: false, size: null },
          { name: 'meetme-9-s', session: 'meetme-9-s', part: 1, node: 'ast-2', ended: true, size: 16044 },
        ]);
      });

      it('refuses bad options and schedules, naming the field', async () => {
        const { definitions: defs } = await engine.open();
        expect((await rejection(defs.create({ number: '7', name: 'x', options: 'MZ' }))).details).to.include({ field: 'options' });
        const bad = { number: '7', name: 'x', options: '', schedule: { ...schedule, end: schedule.start } };
        expect((await rejection(defs.create(bad))).details).to.include({ field: 'schedule.end' });
        expect(defs.lookup('7')).to.equal(undefined);
      });
    });
  }

  it('PostgreSQL: a definition one instance creates is seen by another within a second, and a restart keeps everything', async () => {
    const a = await engines[1]!.open();
    const b = await engines[1]!.open();
    const started = Date.now();
    await a.definitions.create({ number: '300', name: 'Shared', options: 'M', schedule });
    while (!b.definitions.lookup('300') && Date.now() - started < 1000) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(b.definitions.lookup('300'), 'seen by B within 1 s').to.include({ name: 'Shared', options: 'M' });
    await b.definitions.replace('300', { name: 'Changed on B', options: '' });
    while (a.definitions.lookup('300')?.name !== 'Changed on B' && Date.now() - started < 2000)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(a.definitions.get('300').name).to.equal('Changed on B');
    a.recordings.started({ name: 'meetme-300-x', conference: '300', location: 'local', path: '/tmp/x.wav', participant: 'p1' });
    a.recordings.stopped('meetme-300-x', { sizeBytes: 1234 });
    await a.close();
    await b.close();
    opened.splice(0);
    await postgres!.halt();
    await postgres!.resume();
    const c = await engines[1]!.open();
    expect(c.definitions.get('300')).to.deep.equal({ number: '300', name: 'Changed on B', options: '' });
    expect(c.recordings.get('meetme-300-x')).to.include({ conference: '300', participant: 'p1', sizeBytes: 1234 });
  });

  it('PostgreSQL down: a definition write fails with store_unavailable and the instance keeps what it knows', async () => {
    const a = await engines[1]!.open();
    await a.definitions.create({ number: '400', name: 'Before', options: '' });
    await postgres!.halt();
    try {
      expect((await rejection(a.definitions.create({ number: '401', name: 'During', options: '' }))).code).to.equal('store_unavailable');
      expect(a.definitions.get('400').name).to.equal('Before');
      expect(a.definitions.lookup('401')).to.equal(undefined);
    } finally {
      await postgres!.resume();
    }
  });

  it('PostgreSQL down: a recording still starts, its index entry is logged, retried and lands once PostgreSQL is back', async () => {
    const log = captureLogger();
    const cache = new Store(':memory:');
    const shared = await SharedStore.connect(postgres!.url, cache, log.logger);
    opened.push(async () => {
      await shared.close();
      cache.close();
    });
    const recordings = new RecordingsIndex(cache, shared);
    await postgres!.halt();
    try {
      recordings.started({ name: 'meetme-500-x', conference: '500', location: 'local', path: '/tmp/500.wav' });
      expect(recordings.get('meetme-500-x').conference).to.equal('500');
      const since = Date.now();
      while (!log.lines().some((l) => l.msg === 'shared store: recordings index write failed, retrying') && Date.now() - since < 5000)
        await new Promise((resolve) => setTimeout(resolve, 20));
      expect(log.lines().map((l) => l.msg)).to.include('shared store: recordings index write failed, retrying');
    } finally {
      await postgres!.resume();
    }
    await shared.flush();
    const other = await engines[1]!.open();
    expect(other.recordings.get('meetme-500-x')).to.include({ conference: '500', path: '/tmp/500.wav' });
  });

  it('PostgreSQL down at start: connecting fails with store_unavailable', async () => {
    await postgres!.halt();
    try {
      expect((await rejection(SharedStore.connect(postgres!.url, new Store(':memory:'), captureLogger().logger))).code).to.equal(
        'store_unavailable',
      );
    } finally {
      await postgres!.resume();
    }
  });
});

describe('Store', () => {
  it('keeps definitions and recordings across a reopen, with migrations run once', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'store-')), 'meetme.sqlite');
    const first = new Store(path);
    expect(first.version).to.equal(6);
    await new DefinitionStore(first).create({ number: '42', name: 'Board', pin: '1', options: 'Mc', schedule });
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
    expect(second.version).to.equal(6);
    expect(new DefinitionStore(second).get('42')).to.deep.equal({ number: '42', name: 'Board', pin: '1', options: 'Mc', schedule });
    expect(new RecordingsIndex(second).get('meetme-42-x')).to.include({ conference: '42', location: 'local', participant: null });
    expect(new RecordingsIndex(second).get('meetme-42-x-p1')).to.include({ conference: '42', participant: 'p1' });
    second.close();
  });

  it('leaves the previous state when a write fails half way', async () => {
    const store = new Store(':memory:');
    const defs = new DefinitionStore(store);
    await defs.create({ number: '1', name: 'One', options: '' });
    expect(() =>
      store.db.transaction(() => {
        store.db.prepare("UPDATE definitions SET name = 'changed' WHERE number = '1'").run();
        throw new Error('crash mid-write');
      })(),
    ).to.throw('crash mid-write');
    expect(defs.get('1').name).to.equal('One');
  });

  it('stores every field of the definition, each in its own column', async () => {
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
    await defs.create(full);
    expect(defs.get('8')).to.deep.equal(full);
  });
});
