import type { Clock } from '../lib/clock';
import { AppError } from '../lib/errors';
import type { ConferenceEvent } from './model';
import type { Participant } from './Participant';
import type { ConferenceMedia, RecordingPolicy } from './ports';

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/**
 * A conference's recording of the mix (started, paused, resumed and stopped) and of each participant's own
 * audio, each said as an event.
 */
export class ConferenceRecording {
  name: string | null = null;
  paused = false;

  constructor(
    private readonly conference: { id: string; number: string; policy: RecordingPolicy },
    private readonly media: ConferenceMedia,
    private readonly clock: Clock,
    private readonly emit: (event: ConferenceEvent) => void,
  ) {}

  private say(
    type: 'recording.started' | 'recording.stopped' | 'recording.paused' | 'recording.resumed',
    name: string,
    participantId?: string,
  ): void {
    this.emit({
      type,
      conferenceId: this.conference.id,
      number: this.conference.number,
      name,
      ...(participantId ? { participantId } : {}),
    });
  }

  private refuseOff(): void {
    if (this.conference.policy === 'off')
      throw new AppError('recording_disabled', `conference ${this.conference.number} is never recorded (recording: off)`);
  }

  async start(): Promise<string> {
    const { number } = this.conference;
    this.refuseOff();
    if (this.name) throw new AppError('already_recording', `conference ${number} is already being recorded`);
    const name = `meetme-${number}-${stamp(this.clock.now())}`;
    await this.media.startRecording({ name });
    this.name = name;
    this.say('recording.started', name);
    return name;
  }

  private running(): string {
    if (!this.name) throw new AppError('not_recording', `conference ${this.conference.number} is not being recorded`);
    return this.name;
  }

  async pause(paused: boolean): Promise<void> {
    const name = this.running();
    if (this.paused === paused) return;
    await this.media.pauseRecording(paused);
    this.paused = paused;
    this.say(paused ? 'recording.paused' : 'recording.resumed', name);
  }

  /** With `mediaGone` the recording already ended with the backend: it is only said. */
  async stop(mediaGone = false): Promise<void> {
    const name = this.running();
    this.name = null;
    this.paused = false;
    if (!mediaGone) await this.media.stopRecording();
    this.say('recording.stopped', name);
  }

  async startParticipant(p: Participant): Promise<string> {
    this.refuseOff();
    if (p.recording) throw new AppError('already_recording', `participant ${p.id} is already being recorded`);
    const name = `meetme-${this.conference.number}-${stamp(this.clock.now())}-${p.id}`;
    await this.media.startParticipantRecording(p.id, { name });
    if (p.left) return name;
    p.recording = name;
    this.say('recording.started', name, p.id);
    return name;
  }

  async stopParticipant(p: Participant): Promise<void> {
    const name = p.recording;
    if (!name) throw new AppError('not_recording', `participant ${p.id} is not being recorded`);
    p.recording = null;
    await this.media.stopParticipantRecording(p.id);
    this.say('recording.stopped', name, p.id);
  }

  /** Their own recording ended with their leg (the backend finishes the file when they leave the mix). */
  participantLeft(p: Participant): void {
    const name = p.recording;
    p.recording = null;
    if (name) this.say('recording.stopped', name, p.id);
  }
}
