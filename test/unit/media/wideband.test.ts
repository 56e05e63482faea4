import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readWav } from '../../../src/media/wav';
import { goertzelDb } from '../../../src/media/goertzel';
import { roomHarness, toneAt } from '../../support/roomHarness';

/** Runs `ticks` ticks with each talker saying its tone (at its own rate). */
function talk(h: ReturnType<typeof roomHarness>, ticks: number, talkers: { id: string; hz: number[]; rate: number }[]): void {
  for (let n = 0; n < ticks; n++) {
    for (const t of talkers) {
      const frame = new Int16Array(t.rate / 50);
      for (const hz of t.hz) {
        const tone = toneAt(hz, n, t.rate, 5000);
        for (let i = 0; i < frame.length; i++) frame[i] = (frame[i] as number) + (tone[i] as number);
      }
      h.say(t.id, frame);
    }
    h.room.tick();
  }
}

describe('wideband room: G.722 legs and a 16 kHz mix', () => {
  it('mixes at 16 kHz while a G.722 leg is in, and at 8 kHz again once it left', () => {
    const h = roomHarness();
    h.add('narrow', 'ulaw');
    expect(h.room.mixRate).to.equal(8000);
    h.add('wide', 'g722');
    expect(h.room.mixRate).to.equal(16000);
    h.room.removeLeg('wide');
    expect(h.room.mixRate).to.equal(8000);
  });

  it('gives a G.722 listener a wideband talker (6 kHz) and a u-law talker, each without their own voice', () => {
    const h = roomHarness();
    h.add('wide', 'g722');
    h.add('narrow', 'ulaw');
    h.add('listener', 'g722');
    talk(h, 50, [
      { id: 'wide', hz: [6000, 1000], rate: 16000 },
      { id: 'narrow', hz: [440], rate: 8000 },
    ]);
    expect(h.payloadType('listener')).to.equal(9);
    expect(h.payloadType('narrow')).to.equal(0);
    const listener = h.lastHeard('listener', 20);
    expect(goertzelDb(listener, 6000, 16000)).to.be.greaterThan(-25);
    expect(goertzelDb(listener, 1000, 16000)).to.be.greaterThan(-25);
    expect(goertzelDb(listener, 440, 16000)).to.be.greaterThan(-25);
    // The wideband talker hears the u-law one, upsampled, and not themselves.
    const wide = h.lastHeard('wide', 20);
    expect(goertzelDb(wide, 440, 16000)).to.be.greaterThan(-25);
    expect(goertzelDb(wide, 6000, 16000)).to.be.lessThan(-50);
    expect(goertzelDb(wide, 1000, 16000)).to.be.lessThan(-50);
    // The u-law talker hears the wideband one's 1 kHz, downsampled (6 kHz cannot reach them), and not themselves.
    const narrow = h.lastHeard('narrow', 20);
    expect(narrow.length).to.equal(20 * 160);
    expect(goertzelDb(narrow, 1000, 8000)).to.be.greaterThan(-25);
    expect(goertzelDb(narrow, 440, 8000)).to.be.lessThan(-45);
    // What 6 kHz would fold to at 8 kHz (2 kHz) is filtered out, not aliased in.
    expect(goertzelDb(narrow, 2000, 8000)).to.be.lessThan(-45);
  });

  it('records the conference at the mix rate: 16 kHz with a wideband leg in', async () => {
    const h = roomHarness();
    h.add('wide', 'g722');
    h.add('narrow', 'ulaw');
    const path = join(mkdtempSync(join(tmpdir(), 'meetme-wide-')), 'mix.wav');
    await h.room.startRecording(path);
    talk(h, 50, [{ id: 'wide', hz: [6000], rate: 16000 }]);
    const done = await h.room.stopRecording();
    expect(done.seconds).to.equal(1);
    const wav = await readWav(path);
    expect(wav.sampleRate).to.equal(16000);
    expect(goertzelDb(wav.samples.subarray(8000), 6000, 16000)).to.be.greaterThan(-25);
    await h.room.close();
  });
});
