import { expect } from 'chai';
import type { Socket } from 'node:dgram';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../../src/lib/logger';
import { MediaThreads, type RemoteRoom } from '../../../src/media';
import { goertzelDb, makeSounds } from '../../support/audio';
import { listeningPeer, toneFrame } from '../../support/rtpPeer';

const TONES = [440, 880, 1200];

async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Three senders standing in for Asterisk's externalMedia channels: a tone each, every 20 ms, and what they hear. */
class Callers {
  readonly sockets: Socket[] = [];
  readonly heard: Int16Array[][] = [[], [], []];
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;

  async bind(): Promise<void> {
    for (let i = 0; i < 3; i++) this.sockets.push(await listeningPeer(this.heard[i]!));
  }

  send(port: number): void {
    this.timer = setInterval(() => {
      for (let i = 0; i < 3; i++) this.sockets[i]!.send(toneFrame(TONES[i]!, this.seq, i + 1), port, '127.0.0.1');
      this.seq++;
    }, 20);
  }

  /** What caller i heard over the last `frames` frames, as one signal. */
  recent(i: number, frames = 25): Int16Array {
    const list = this.heard[i]!.slice(-frames);
    const out = new Int16Array(list.length * 160);
    list.forEach((frame, n) => out.set(frame.subarray(0, 160), n * 160));
    return out;
  }

  join(room: RemoteRoom): void {
    this.sockets.forEach((socket, i) =>
      room.addLeg({ participantId: `p${i}`, codec: 'ulaw' }).setRemote('127.0.0.1', socket.address().port),
    );
  }

  close(): void {
    clearInterval(this.timer);
    this.sockets.forEach((s) => s.close());
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('MediaThreads: the app mixer on worker threads', function () {
  this.timeout(30000);
  const sounds = makeSounds();
  let threads: MediaThreads;
  const callers: Callers[] = [];

  beforeEach(async () => {
    threads = new MediaThreads({ threads: 2, bindAddress: '127.0.0.1', port: 0, ...sounds, tickLeadMs: 3, logger: silentLogger() });
    await threads.start();
  });

  afterEach(async () => {
    for (const c of callers.splice(0)) c.close();
    await threads.close();
  });

  async function roomWithCallers(id: string): Promise<{ room: RemoteRoom; c: Callers }> {
    const room = threads.createRoom(id);
    const c = new Callers();
    callers.push(c);
    await c.bind();
    c.join(room);
    c.send(room.port);
    return { room, c };
  }

  it('puts conferences on different threads, each with its own port, and mixes N-1 on each', async () => {
    const one = await roomWithCallers('one');
    const two = await roomWithCallers('two');
    expect(threads.ports).to.have.length(2);
    expect(one.room.port).to.not.equal(two.room.port);
    await pause(1200);
    for (const { c } of [one, two]) {
      for (let i = 0; i < 3; i++) {
        const heard = c.recent(i);
        for (const hz of TONES)
          if (hz !== TONES[i])
            expect(goertzelDb(heard, hz) - goertzelDb(heard, TONES[i]!), `caller ${i} hears ${hz} over its own`).to.be.greaterThan(20);
      }
    }
    await waitFor(
      () => threads.report().every((t) => t.legs === 3 && t.timer !== undefined && t.timer.ticks > 20),
      2000,
      'both threads reporting',
    );
    expect(threads.stats().legs).to.equal(6);
    expect(threads.healthy()).to.equal(true);
  });

  it('passes talking events and settings to the thread, and the mute takes effect', async () => {
    const { room, c } = await roomWithCallers('r');
    const talking: boolean[] = [];
    room.leg('p0').events.on('talking', (t) => talking.push(t));
    await waitFor(() => talking[0] === true, 3000, 'p0 talking');
    room.leg('p0').setTalk(false);
    await pause(300);
    const heard = c.recent(1, 10);
    expect(goertzelDb(heard, 440) - goertzelDb(heard, 1200), 'muted 440 Hz gone').to.be.lessThan(-30);
    room.removeLeg('p0');
    expect(talking.at(-1), 'leaving while talking ends the talk').to.equal(false);
  });

  it('restarts a crashed thread on the same port and sets its rooms up again as they were', async () => {
    const { room, c } = await roomWithCallers('r');
    room.leg('p0').setTalk(false);
    await waitFor(() => threads.stats().packetsIn > 100, 3000, 'packets counted');
    const port = room.port;
    const before = threads.stats().packetsIn;
    const index = threads.report().findIndex((t) => t.port === port);
    await threads.kill(index, 'a crash, for the test');
    await waitFor(() => threads.report()[index]!.restarts === 1 && threads.healthy(), 5000, 'thread restarted');
    expect(room.port).to.equal(port);
    for (const list of c.heard) list.length = 0;
    await pause(800);
    expect(c.heard[1]!.length, 'frames after the restart').to.be.greaterThan(25);
    const heard = c.recent(1);
    expect(goertzelDb(heard, 1200), 'p1 hears p2 again').to.be.greaterThan(-40);
    expect(goertzelDb(heard, 440) - goertzelDb(heard, 1200), 'p0 still muted').to.be.lessThan(-30);
    expect(threads.stats().packetsIn, 'counters never go backwards').to.be.greaterThan(before);
  });

  it('plays, records to a WAV file and answers errors as the local room would', async () => {
    const { room } = await roomWithCallers('r');
    expect(await room.playToAll(['sound:beep'])).to.equal('done');
    expect(await room.playToAll(['sound:no-such-prompt'])).to.equal('failed');
    expect(await room.playTo('p1', ['sound:beep'])).to.equal('done');
    await room.playTo('nobody', ['sound:beep']).then(
      () => expect.fail('played to a participant who is not there'),
      (error: { code: string }) => expect(error.code).to.equal('participant_not_found'),
    );
    expect(() => room.addLeg({ participantId: 'p1', codec: 'ulaw' })).to.throw(/already has a leg/);
    const path = join(mkdtempSync(join(tmpdir(), 'meetme-rec-')), 'mix.wav');
    await room.startRecording(path);
    await room.startRecording(path).then(
      () => expect.fail('started twice'),
      (error: { code: string }) => expect(error.code).to.equal('already_recording'),
    );
    await pause(500);
    await room.stopRecording();
    expect(existsSync(path)).to.equal(true);
    // 0.5 s of 8 kHz PCM16 after a 44-byte header, give or take a few frames.
    expect(statSync(path).size).to.be.greaterThan(44 + 6000);
  });

  it('fails to start, naming the cause, when a thread cannot bind its port', async () => {
    const taken = await listeningPeer([]);
    const port = taken.address().port;
    // The second thread would listen on port + 1: take the first thread's port so the pool cannot start.
    const blocked = new MediaThreads({ threads: 2, bindAddress: '127.0.0.1', port, ...sounds, tickLeadMs: 3, logger: silentLogger() });
    try {
      await blocked.start().then(
        () => expect.fail('started on a port in use'),
        (error: Error) => expect(error.message).to.match(/EADDRINUSE/),
      );
      expect(blocked.healthy()).to.equal(false);
    } finally {
      taken.close();
      await blocked.close();
    }
  });

  it("stops an idle thread's clock and starts it again for the next room", async () => {
    await threads.close();
    threads = new MediaThreads({
      threads: 2,
      bindAddress: '127.0.0.1',
      port: 0,
      ...sounds,
      tickLeadMs: 3,
      idleClockStopMs: 300,
      logger: silentLogger(),
    });
    await threads.start();
    await waitFor(() => threads.report().every((t) => t.timer === undefined), 3000, 'both clocks stopped');
    expect(threads.healthy(), 'idle on purpose is healthy').to.equal(true);
    const { room, c } = await roomWithCallers('r');
    await pause(600);
    expect(c.heard[1]!.length, 'frames mixed after the clock started again').to.be.greaterThan(15);
    const busy = threads.report().find((t) => t.port === room.port)!;
    expect(busy.timer?.ticks).to.be.greaterThan(10);
    expect(
      threads.report().filter((t) => t.timer === undefined),
      'the other thread stays idle',
    ).to.have.length(1);
  });
});
