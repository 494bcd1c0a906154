#!/usr/bin/env node
/**
 * Adds lockfile entries for the other platforms' optional native packages (@swc/core-*, @unrs/resolver-binding-*).
 *
 * Why: the npm registry mirror of our build machines answers 404 for native packages of platforms other than
 * linux-x64, so `npm install` writes a package-lock.json without them, and `npm ci` then refuses the lockfile as
 * "not in sync" ("Missing: @swc/core-darwin-arm64@ from lock file"). An entry with `optional`, `os` and `cpu`
 * is all npm ci needs: it skips packages for other platforms without fetching them. Run this after any
 * `npm install` that rewrites package-lock.json: `node scripts/complete-lockfile.js`.
 */
const fs = require('node:fs');
const path = require('node:path');

const file = path.join(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const packages = lock.packages;

const OS = { darwin: 'darwin', linux: 'linux', win32: 'win32', android: 'android', freebsd: 'freebsd', openharmony: 'openharmony' };
const CPU = { arm64: 'arm64', x64: 'x64', ia32: 'ia32', arm: 'arm', ppc64: 'ppc64', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64' };

/** `@swc/core-linux-arm-gnueabihf` → { os: linux, cpu: arm, libc: glibc }. */
function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  const os = parts.find((p) => OS[p]);
  const cpu = parts.find((p) => CPU[p]);
  if (!os || !cpu) return undefined;
  const entry = { os: [os], cpu: [cpu] };
  if (parts.some((p) => p.startsWith('musl'))) entry.libc = ['musl'];
  else if (os === 'linux' && parts.some((p) => p.startsWith('gnu'))) entry.libc = ['glibc'];
  return entry;
}

let added = 0;
for (const [key, pkg] of Object.entries(packages)) {
  if (!key.startsWith('node_modules/') || !pkg.optionalDependencies) continue;
  const parent = key.slice('node_modules/'.length);
  if (!/^(@swc\/core|unrs-resolver|@unrs\/)/.test(parent)) continue;
  for (const [dep, version] of Object.entries(pkg.optionalDependencies)) {
    const depKey = `node_modules/${dep}`;
    if (packages[depKey]) continue;
    const platform = platformOf(dep);
    if (!platform) continue;
    packages[depKey] = { version, ...platform, license: pkg.license, optional: true };
    added++;
  }
}
// Keep npm's key order (sorted) so diffs stay small.
lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
fs.writeFileSync(file, JSON.stringify(lock, null, 2) + '\n');
process.stdout.write(`complete-lockfile: added ${added} platform entries\n`);
