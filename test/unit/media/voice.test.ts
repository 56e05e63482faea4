import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Denoiser } from '../../../src/media/denoise';
import { goertzelDb } from '../../../src/media/goertzel';
import { DEFAULT_TALK, TalkDetector } from '../../../src/media/TalkDetector';
import { DEFAULT_AUDIO } from '../../../src/media/voice';
import { readWav } from '../../../src/media/wav';
import { roomHarness, toneAt } from '../../support/roomHarness';

const FIXTURE = join(__dirname, '../../fixtures/noise/noisy-line.wav');
const SPEECH = join(__dirname, '../../fixtures/noise/speech.wav');

/** Voiced syllables (130 Hz and its harmonics to 3.4 kHz), 200 ms each with 100 ms between, at `rms` while voiced. */
function speech(seconds: number, rms: number, rate = 8000): Int16Array {
  const out = new Int16Array(seconds * rate);
  const harmonics = Math.floor(3400 / 130);
  let norm = 0;
  for (let k = 1; k <= harmonics; k++) norm += 1 / (k * k);
  const amp = (rms * Math.SQRT2) / Math.sqrt(norm);
  for (let i = 0; i < out.length; i++) {
    const t = i / rate;
    const phase = t % 0.3;
    if (phase >= 0.2) continue;
    const env = Math.sin((Math.PI * phase) / 0.2);
    let v = 0;
    for (let k = 1; k <= harmonics; k++) v += Math.sin(2 * Math.PI * 130 * k * t) / k;
    out[i] = Math.round(amp * env * v);
  }
  return out;
}

function add(a: Int16Array, b: Int16Array): Int16Array {
  return Int16Array.from(a, (v, i) => Math.max(-32768, Math.min(32767, v + (b[i] ?? 0))));
}

/** Talk events of a detector over 20 ms frames: when each start came (s). */
function starts(samples: Int16Array, settings = DEFAULT_TALK): number[] {
  const detector = new TalkDetector(settings);
  const at: number[] = [];
  for (let i = 0; i + 160 <= samples.length; i += 160) if (detector.frame(samples.subarray(i, i + 160), 160) === true) at.push(i / 8000);
  return at;
}

const rmsOf = (a: Int16Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);

describe('talk detection tuning (ConfBridge dsp_talking_threshold and dsp_silence_threshold)', () => {
  it('with the defaults, never fires on a noisy line (hiss, hum, key clicks, a lorry, a bump)', async () => {
    const { samples } = await readWav(FIXTURE);
    expect(starts(samples)).to.deep.equal([]);
  });

  it('fires on the same line when the threshold is set low enough to hear the lorry', async () => {
    const { samples } = await readWav(FIXTURE);
    expect(starts(samples, { threshold: 100, silenceMs: 800 }).length).to.be.greaterThan(0);
  });

  it('hears a quiet talker (-40 dBFS) over that line within 150 ms of their first word, until they stop', async () => {
    const { samples } = await readWav(FIXTURE);
    const words = (await readWav(SPEECH)).samples;
    // The prompt is at -18.5 dBFS: brought down to -40, and laid over the line from 3 s.
    const gain = 10 ** (-21.5 / 20);
    const line = Int16Array.from(samples);
    for (let i = 0; i < words.length; i++) line[24000 + i] = (line[24000 + i] as number) + Math.round((words[i] as number) * gain);
    let onset = 0;
    while (Math.abs(words[onset] as number) < 2000) onset++;
    const detector = new TalkDetector();
    const events: [number, boolean][] = [];
    for (let i = 0; i + 160 <= line.length; i += 160) {
      const change = detector.frame(line.subarray(i, i + 160), 160);
      if (change !== null) events.push([i / 8000, change]);
    }
    expect(events.length).to.equal(2);
    expect(events[0]![1]).to.equal(true);
    expect(events[0]![0] - (3 + onset / 8000)).to.be.within(-0.02, 0.15);
    expect(events[1]![1]).to.equal(false);
    expect(events[1]![0]).to.be.greaterThan(3 + words.length / 8000);
  });

  it('needs the talker above dsp_talking_threshold: set above their level, they are not heard', async () => {
    const words = (await readWav(SPEECH)).samples;
    const quiet = Int16Array.from(words, (v) => Math.round(v / 20));
    expect(starts(quiet)).to.have.length(1);
    expect(starts(quiet, { threshold: 2000, silenceMs: 800 })).to.deep.equal([]);
  });
});

/** Talk events of a detector fed `frames` 20 ms frames of `frame(n)`, then a second of silence: [seconds, state]. */
function events(frame: (n: number) => Int16Array, frames: number): [number, boolean][] {
  const detector = new TalkDetector();
  const out: [number, boolean][] = [];
  for (let n = 0; n < frames + 50; n++) {
    const change = detector.frame(n < frames ? frame(n) : new Int16Array(160), 160);
    if (change !== null) out.push([n * 0.02, change]);
  }
  return out;
}

describe('talk detection of steady sounds', () => {
  /** A sine at `dbfs` (RMS), frame n of it. */
  const sine = (hz: number, dbfs: number) => (n: number) =>
    Int16Array.from({ length: 160 }, (_, i) =>
      Math.round(32768 * 10 ** (dbfs / 20) * Math.SQRT2 * Math.sin((2 * Math.PI * hz * (n * 160 + i)) / 8000)),
    );

  it('keeps a held note or a test tone at a talker level talking for as long as it lasts (a minute), then ends', () => {
    for (const [hz, dbfs] of [
      [1000, -20],
      [440, -30],
    ] as const) {
      const got = events(sine(hz, dbfs), 3000);
      expect(
        got.map(([, state]) => state),
        `${hz} Hz at ${dbfs} dBFS`,
      ).to.deep.equal([true, false]);
      expect(got[0]![0]).to.be.lessThan(0.1);
      expect(got[1]![0], 'ends after the tone, within the silence time').to.be.within(60, 60.9);
    }
  });

  it('still learns a steady noise just above the threshold (a fan switched on) within a few seconds', () => {
    let seed = 11;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed / 0x7fffffff);
    const fan = () => Int16Array.from({ length: 160 }, () => Math.round(900 * (random() + random() + random() - 1.5)));
    const got = events(fan, 1500);
    expect(got.length).to.equal(2);
    expect(got[1]![1]).to.equal(false);
    expect(got[1]![0], 'no longer a talker').to.be.lessThan(6);
  });
});

describe('denoise', () => {
  it('turns a line of steady noise down by more than 10 dB and leaves a talker as loud as they were', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed / 0x7fffffff);
    const noise = Int16Array.from({ length: 4 * 8000 }, () => Math.round(1200 * (random() + random() + random() - 1.5)));
    const voice = speech(4, 3000);
    const noisy = add(noise, voice);
    const alone = Int16Array.from(noise);
    const d1 = new Denoiser(8000);
    const d2 = new Denoiser(8000);
    for (let i = 0; i < noisy.length; i += 160) {
      d1.process(alone.subarray(i, i + 160));
      d2.process(noisy.subarray(i, i + 160));
    }
    const after = alone.subarray(8000);
    expect(20 * Math.log10(rmsOf(noise.subarray(8000)) / rmsOf(after))).to.be.greaterThan(10);
    // A syllable in the middle (3.0-3.2 s, 10 ms later for the denoiser's hop): its fundamental keeps its level.
    const before = goertzelDb(voice.subarray(24000, 25600), 130);
    const cleaned = goertzelDb(noisy.subarray(24080, 25680), 130);
    expect(Math.abs(cleaned - before)).to.be.lessThan(1.5);
  });
});

describe('energy level and auto-gain (FreeSWITCH) in the room', () => {
  const run = (audio: typeof DEFAULT_AUDIO, amplitude: number) => {
    const h = roomHarness(audio);
    h.add('talker', 'ulaw');
    h.add('listener', 'ulaw');
    for (let n = 0; n < 150; n++) {
      h.say('talker', toneAt(700, n, 8000, amplitude));
      h.room.tick();
    }
    return goertzelDb(h.lastHeard('listener', 20), 700);
  };

  it('leaves out a caller below the energy level, and mixes one above it', () => {
    const gated = { ...DEFAULT_AUDIO, energyLevel: 400 };
    expect(run(gated, 300)).to.be.lessThan(-60);
    expect(run(gated, 1500)).to.be.greaterThan(-30);
    expect(run(DEFAULT_AUDIO, 300)).to.be.greaterThan(-45);
  });

  it('brings a quiet talker up towards the auto-gain level', () => {
    const plain = run(DEFAULT_AUDIO, 800);
    const raised = run({ ...DEFAULT_AUDIO, autoGainLevel: 2000 }, 800);
    expect(raised - plain).to.be.within(5, 12.5);
  });
});

describe('per-participant recording', () => {
  it("writes one caller's own voice to their own file, in time with the conference, silent while muted", async () => {
    const h = roomHarness();
    h.add('alice', 'ulaw');
    h.add('bob', 'ulaw');
    const path = join(mkdtempSync(join(tmpdir(), 'meetme-leg-')), 'alice.wav');
    await h.room.startLegRecording('alice', path);
    for (let n = 0; n < 100; n++) {
      if (n === 50) h.room.leg('alice').setTalk(false);
      h.say('alice', toneAt(500, n, 8000));
      h.say('bob', toneAt(900, n, 8000));
      h.room.tick();
    }
    const done = await h.room.stopLegRecording('alice');
    expect(done.seconds).to.equal(2);
    const { sampleRate, samples } = await readWav(path);
    expect(sampleRate).to.equal(8000);
    const talking = samples.subarray(4000, 8000);
    expect(goertzelDb(talking, 500)).to.be.greaterThan(-25);
    expect(goertzelDb(talking, 900)).to.be.lessThan(-60);
    expect(rmsOf(samples.subarray(8000))).to.equal(0);
    await h.room.close();
  });

  it('finishes the file when the caller leaves', async () => {
    const h = roomHarness();
    h.add('alice', 'g722');
    const path = join(mkdtempSync(join(tmpdir(), 'meetme-leg-')), 'alice.wav');
    await h.room.startLegRecording('alice', path);
    for (let n = 0; n < 25; n++) {
      h.say('alice', toneAt(5000, n, 16000));
      h.room.tick();
    }
    h.room.removeLeg('alice');
    await h.room.close();
    const { sampleRate, samples } = await readWav(path);
    expect(sampleRate).to.equal(16000);
    expect(samples.length).to.equal(25 * 320);
  });
});
