import { expect } from 'chai';
import { connect } from 'node:net';
import { AsteriskDouble, type SimCaller } from '../double';
import { startApp, waitFor, type Running } from '../support/appHarness';

const CALLERS = 200;
const ROOM_SIZE = 10;

/**
 * Asterisk's http.conf `sessionlimit` (default 100) counts every HTTP connection, the events socket too,
 * and closes the excess at once. A burst of callers must queue its requests on the client's pool, not
 * open a connection per request and lose the calls past the limit.
 */
describe('a burst of callers against Asterisk’s HTTP session limit', function () {
  this.timeout(60000);
  let r: Running | undefined;
  afterEach(async () => r?.stop());

  it(`takes in ${CALLERS} callers dialling within a second, with the default limit of 100 sessions`, async () => {
    r = await startApp({ log: { level: 'warn' } }, { timing: false, speed: 20, sessionLimit: 100 });
    const running = r;
    const callers: SimCaller[] = [];
    for (let i = 0; i < CALLERS; i++) {
      callers.push(running.ast.dial({ exten: String(800 + Math.floor(i / ROOM_SIZE)), callerId: `C${i} <${1000 + i}>` }));
      if (i % 20 === 19) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // In: the caller and its externalMedia channel together in their leg bridge, so they hear the conference.
    const inMix = (): number =>
      callers.filter((c) =>
        running.ast.bridges().some((b) => b.name.startsWith('meetme-leg:') && b.channels.length === 2 && b.channels.includes(c.channelId)),
      ).length;
    const gone = (): number => callers.filter((c) => c.state === 'gone').length;
    // Every caller either in or hung up; a caller whose flow stalls shows as neither.
    await waitFor(() => inMix() + gone() === CALLERS, 30000, `${CALLERS} callers in or out`).catch(() => undefined);
    const sessions = running.ast.sessions();
    expect({ inMix: inMix(), hungUp: gone(), refused: sessions.refused }, running.ast.httpLog.slice(0, 3).join('\n')).to.deep.equal({
      inMix: CALLERS,
      hungUp: 0,
      refused: 0,
    });
    expect(running.app.manager.participantCount).to.equal(CALLERS);
    // The pool plus the events socket: whatever the burst, the app holds no more than that.
    expect(sessions.peak).to.be.at.most(running.config.ari.maxConnections + 1);
  });

  it('shuts down in the middle of a burst: callers still being paired with externalMedia do not hold it', async () => {
    r = await startApp({ log: { level: 'warn' } }, { timing: false, speed: 20 });
    const running = r;
    for (let i = 0; i < CALLERS; i++) running.ast.dial({ exten: String(800 + Math.floor(i / ROOM_SIZE)), callerId: `C${i} <${1000 + i}>` });
    // Stop while the joins are in flight: some are members whose externalMedia has not entered Stasis yet.
    await waitFor(() => running.app.manager.participantCount >= CALLERS / 4, 10000, 'a quarter of the callers joining');
    const started = Date.now();
    const stopped = await Promise.race([
      running.app.stop().then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 10000)),
    ]);
    expect(stopped, `app.stop() still waiting after ${Date.now() - started} ms`).to.equal(true);
  });

  it('the double closes connections past its session limit at once, as Asterisk does', async () => {
    const ast = await AsteriskDouble.start({ sessionLimit: 2 });
    try {
      const open = await Promise.all(
        [0, 1, 2].map(
          () =>
            new Promise<{ answered: boolean }>((resolve) => {
              const socket = connect(Number(new URL(ast.url).port), '127.0.0.1', () => {
                socket.write('GET /ari/asterisk/ping HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YXN0ZXJpc2s6YXN0ZXJpc2s=\r\n\r\n');
              });
              let answered = false;
              socket.on('data', () => {
                answered = true;
                resolve({ answered });
              });
              socket.on('error', () => undefined);
              socket.on('close', () => resolve({ answered }));
              setTimeout(() => socket.destroy(), 500).unref();
            }),
        ),
      );
      expect(open.filter((o) => o.answered)).to.have.length(2);
      expect(ast.sessions().refused).to.equal(1);
      expect(ast.httpLog).to.deep.equal(['WARNING: http.c: HTTP session count exceeded 2 sessions.']);
    } finally {
      await ast.stop();
    }
  });
});
