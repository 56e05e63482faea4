/** `npm run bench [-- name]`: runs each benchmark in its own process (with --expose-gc) and prints its figures. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ALL = ['hotpath', 'timer', 'engine', 'forged', 'capacity', 'webrtc', 'groupActions', 'ramp', 'system', 'kamailio', 'takeover'];
const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ALL;
let failed = 0;
for (const name of names) {
  if (!ALL.includes(name)) {
    console.error(`unknown benchmark "${name}" (have: ${ALL.join(', ')})`);
    process.exit(2);
  }
  const file = join(__dirname, `${name}.bench.ts`);
  const result = spawnSync(
    process.execPath,
    ['--expose-gc', '-r', 'tsx/cjs', '-e', `require(${JSON.stringify(file)}).main().catch((e) => { console.error(e); process.exit(1); })`],
    { stdio: 'inherit' },
  );
  if (result.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
