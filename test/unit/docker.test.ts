import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { configSchema } from '../../src/config/schema';
import { MAX_DEFAULT_THREADS } from '../../src/media';

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
});
