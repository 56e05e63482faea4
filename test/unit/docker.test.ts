import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { configSchema } from '../../src/config/schema';
import { MAX_DEFAULT_THREADS } from '../../src/media';
import { runCli } from '../support/cli';
import { waitFor } from '../support/logger';

const root = join(__dirname, '../..');
const dockerDir = join(root, 'docker');
const ini = (file: string): Map<string, string> => {
  const values = new Map<string, string>();
  for (const line of readFileSync(join(root, 'asterisk-conf', file), 'utf8').split('\n')) {
    const m = /^\s*([a-z_]+)\s*=\s*([^;\s]+)/.exec(line);
    if (m) values.set(m[1]!, m[2]!);
  }
  return values;
};

/** The image the Dockerfile's last stage makes: its user, environment, volumes and RUN lines. */
function runtimeStage(dockerfile: string): { user: string; env: Record<string, string>; volumes: string[]; runs: string[] } {
  const stage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const lines = stage.replace(/\\\n\s*/g, ' ').split('\n');
  const env: Record<string, string> = {};
  for (const line of lines.filter((l) => l.startsWith('ENV ')))
    for (const m of line.slice(4).matchAll(/([A-Z_]+)=(\S+)/g)) env[m[1]!] = m[2]!;
  const volume = lines.find((l) => l.startsWith('VOLUME '));
  return {
    user:
      lines
        .find((l) => l.startsWith('USER '))
        ?.slice(5)
        .trim() ?? 'root',
    env,
    volumes: volume ? (JSON.parse(volume.slice(7)) as string[]) : [],
    runs: lines.filter((l) => l.startsWith('RUN ')),
  };
}

interface Compose {
  services: Record<string, { volumes?: string[]; environment?: Record<string, string>; build?: { context: string; dockerfile: string } }>;
}

describe('docker/ (checked without a Docker engine)', () => {
  const compose = parse(readFileSync(join(dockerDir, 'compose.yaml'), 'utf8')) as Compose;
  const dockerfile = readFileSync(join(dockerDir, 'Dockerfile'), 'utf8');

  it('mounts asterisk-conf files that exist', () => {
    const volumes = compose.services.asterisk!.volumes!;
    expect(volumes.length).to.be.greaterThan(5);
    for (const volume of volumes) expect(existsSync(resolve(dockerDir, volume.split(':')[0]!)), volume).to.equal(true);
  });

  it('builds from files that exist', () => {
    const build = compose.services['ari-meetme']!.build!;
    const context = resolve(dockerDir, build.context);
    expect(existsSync(join(context, build.dockerfile))).to.equal(true);
    for (const m of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const path of m[1]!.split(/\s+/)) expect(existsSync(join(context, path)), path).to.equal(true);
    }
    expect(dockerfile)
      .to.match(/^USER node$/m)
      .and.match(/^HEALTHCHECK [^\n]*\\\n[^\n]*\/healthz/m);
    expect(dockerfile.match(/^FROM /gm)).to.have.length(2);
  });

  it('points the app at the ARI address, user and password asterisk-conf/ configures', () => {
    const env = compose.services['ari-meetme']!.environment!;
    const http = ini('http.conf');
    const ari = ini('ari.conf');
    expect(env.ARI_URL).to.equal(`http://${http.get('bindaddr')}:${http.get('bindport')}`);
    expect(readFileSync(join(root, 'asterisk-conf/ari.conf'), 'utf8')).to.contain(`[${env.ARI_USERNAME}]`);
    expect(env.ARI_PASSWORD).to.equal(ari.get('password'));
  });

  it('exposes the ports the app listens on', () => {
    const env = compose.services['ari-meetme']!.environment!;
    // One RTP port per media thread, as many as the default can start.
    expect(dockerfile).to.contain(`EXPOSE ${env.HTTP_PORT} ${env.MEDIA_PORT}-${Number(env.MEDIA_PORT) + MAX_DEFAULT_THREADS - 1}/udp`);
    const defaults = configSchema.parse({});
    expect(Number(env.HTTP_PORT)).to.equal(defaults.http.port);
    expect(Number(env.MEDIA_PORT)).to.equal(defaults.media.port);
  });

  it('keeps the store and the recordings on declared volumes the app user owns, mounted by compose', () => {
    const image = runtimeStage(dockerfile);
    const storeDir = dirname(image.env.STORE_PATH!);
    const recordings = image.env.RECORDINGS_DIR!;
    expect(image.volumes).to.include.members([storeDir, recordings]);
    for (const dir of [storeDir, recordings]) {
      expect(dir, 'outside the read-only app directory').to.not.match(/^\/app(\/|$)/);
      const chown = image.runs.find((r) => new RegExp(`chown -R ${image.user}:${image.user} (\\S+ )*${dirname(dir)}( |$)`).test(r));
      expect(chown, `${dir} is chowned to ${image.user}`).to.not.equal(undefined);
      expect(chown).to.contain(`mkdir -p`).and.contain(dir);
    }
    // Changes to a volume's directory after VOLUME are discarded: the chown must come first.
    expect(dockerfile.indexOf('chown -R')).to.be.below(dockerfile.indexOf('\nVOLUME '));
    const mounts = compose.services['ari-meetme']!.volumes!.map((v) => v.split(':')[1]);
    expect(mounts).to.include.members([storeDir, recordings]);
  });
});

/** A directory tree like the image's: `/app` root's and read-only to the app, the volumes owned by its user. */
function imageLayout(user: { uid: number; gid: number }): { root: string; app: string; env: Record<string, string> } {
  const root = mkdtempSync(join(tmpdir(), 'image-'));
  chmodSync(root, 0o755);
  const app = join(root, 'app');
  mkdirSync(app);
  const image = runtimeStage(readFileSync(join(dockerDir, 'Dockerfile'), 'utf8'));
  for (const volume of image.volumes) {
    mkdirSync(join(root, volume), { recursive: true });
    chownSync(join(root, volume), user.uid, user.gid);
  }
  return {
    root,
    app,
    env: {
      ...image.env,
      STORE_PATH: join(root, image.env.STORE_PATH!),
      RECORDINGS_DIR: join(root, image.env.RECORDINGS_DIR!),
      // Here, not in a container: loopback, free ports, no Asterisk.
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      MEDIA_BIND_ADDRESS: '127.0.0.1',
      MEDIA_PORT: '0',
      MEDIA_THREADS: '1',
      ARI_URL: 'http://127.0.0.1:9',
    },
  };
}

describe("docker/: the image's layout, run the way it runs (an unprivileged user, a root-owned /app)", function () {
  this.timeout(30000);
  const name = 'nobody';
  let user: { uid: number; gid: number };
  before(function () {
    try {
      execFileSync('setpriv', ['--version']);
      user = { uid: Number(execFileSync('id', ['-u', name])), gid: Number(execFileSync('id', ['-g', name])) };
    } catch {
      this.skip();
    }
    if (process.getuid?.() !== 0) this.skip();
  });

  /** Runs serve as the unprivileged user; it must stop at once with exactly one line. */
  async function refused(env: Record<string, string>, cwd: string): Promise<string> {
    const { exited, output } = runCli(['serve'], env, { cwd, asUser: user });
    expect(await exited, output()).to.equal(1);
    const lines = output().trim().split('\n');
    expect(lines, output()).to.have.length(1);
    expect(output()).to.not.match(/^\s+at /m);
    return (JSON.parse(lines[0]!) as { msg: string }).msg;
  }

  it('starts and stops cleanly, with its store on the store volume', async () => {
    const layout = imageLayout(user);
    const { child, exited, output } = runCli(['serve'], layout.env, { cwd: layout.app, asUser: user });
    await waitFor(() => output().includes('API, console and probes listening'), 20000, 'listening');
    child.kill('SIGTERM');
    expect(await exited, output()).to.equal(0);
    expect(statSync(layout.env.STORE_PATH!).uid).to.equal(user.uid);
  });

  it('with the store in the read-only app directory (the old default data/): one line naming the path and the fix, exit 1', async () => {
    const layout = imageLayout(user);
    const { STORE_PATH: _store, ...env } = layout.env;
    const message = await refused({ ...env, STORE_PATH: 'data/ari-meetme.sqlite' }, layout.app);
    expect(message)
      .to.contain(join(layout.app, 'data/ari-meetme.sqlite'))
      .and.contain(`user ${name}`)
      .and.contain(`mkdir -p ${join(layout.app, 'data')}`)
      .and.contain('STORE_PATH');
  });

  it('with unwritable recordings: one line naming RECORDINGS_DIR, exit 1', async () => {
    const layout = imageLayout(user);
    const message = await refused({ ...layout.env, RECORDINGS_DIR: join(layout.app, 'recordings') }, layout.app);
    expect(message).to.contain(join(layout.app, 'recordings')).and.contain('RECORDINGS_DIR');
  });

  it('with a store file it may not write (left by root): one line naming the file, exit 1', async () => {
    const layout = imageLayout(user);
    writeFileSync(layout.env.STORE_PATH!, '');
    chmodSync(layout.env.STORE_PATH!, 0o644);
    const message = await refused(layout.env, layout.app);
    expect(message).to.contain(`give ${layout.env.STORE_PATH!} to that user`);
  });
});
