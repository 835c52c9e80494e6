// The package's npm install hook: makes sure the TUN addon loads (the prebuilt binary for linux-x64/arm64
// glibc, else a node-gyp source build where a C toolchain exists) and never fails the install, because
// everything except `--capture tun` works without the addon. npm runs it in the package root.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const root = process.cwd();
const without = 'everything except --capture tun works without it (use --capture socket)';

if (process.platform !== 'linux') {
  console.warn(`imds-lab: the TUN addon is Linux-only, not built on ${process.platform}; ${without}`);
  process.exit(0);
}
if (process.env.npm_config_build_from_source !== 'true') {
  try {
    createRequire(import.meta.url)('node-gyp-build')(root);
    process.exit(0);
  } catch {
    // no prebuilt binary fits (or it does not load): try a source build
  }
}
const nodeGyp = process.env.npm_config_node_gyp;
const build = nodeGyp
  ? spawnSync(process.execPath, [nodeGyp, 'rebuild'], { cwd: root, stdio: 'inherit' })
  : spawnSync('node-gyp', ['rebuild'], { cwd: root, stdio: 'inherit', shell: true });
if (build.status !== 0) {
  console.warn(
    `imds-lab: no prebuilt TUN addon for linux-${process.arch} and the source build failed (it needs gcc, make, ` +
      `python3 and the Node headers); ${without}, or install those and run: npm rebuild imds-lab`,
  );
}
process.exit(0);
