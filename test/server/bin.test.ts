/**
 * The `usergraph` bin (what `npx usergraph` or a global install runs) reaches the same CLI as `npm start`:
 * tsx with both module hooks, so main.ts's import()ed commands load, and the command's exit code comes back.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const BIN = path.resolve(__dirname, '../../bin/usergraph.js');

describe('the usergraph bin', () => {
  it('loads the CLI and passes its exit code back (an unknown command: usage, exit 2)', () => {
    const run = spawnSync(process.execPath, [BIN, 'nonsense'], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status).toBe(2);
    expect(run.stderr + run.stdout).toContain('unknown command "nonsense"');
    expect(run.stderr + run.stdout).toContain('usage: usergraph <command>');
  }, 70_000);

  it('runs a command that import()s its module, and a failure is one line without a stack', () => {
    const run = spawnSync(process.execPath, [BIN, 'sync', '--quiet'], {
      encoding: 'utf8',
      timeout: 60_000,
      // A database that cannot be reached: the sync module loads, opens the registry and fails there.
      env: { ...process.env, DATABASE_URL: 'postgres://u:pw@127.0.0.1:9/none', DATABASE_CONNECT_TIMEOUT_MS: '500', LOG_LEVEL: 'info', NODE_ENV: 'development' },
    });
    const out = run.stderr + run.stdout;
    expect(out).not.toContain('ERR_MODULE_NOT_FOUND');
    expect(out).not.toMatch(/\n\s+at /);
    expect(out).toMatch(/^usergraph: .*ECONNREFUSED/m);
    expect(run.status).toBe(1);
  }, 70_000);
});
