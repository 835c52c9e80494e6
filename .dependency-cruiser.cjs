// Import rules for src/: no cycles (type-only imports included) and the layer table of docs/design.md.
const layers = {
  util: [],
  // process/: the one place that spawns programs (argv arrays only) and its interface.
  process: ['util'],
  wire: ['util'],
  tcp: ['util', 'wire'],
  link: ['util'],
  stack: ['util', 'wire', 'tcp', 'link'],
  net: ['util', 'stack', 'tcp', 'wire'],
  ratelimit: ['util'],
  config: ['util'],
  signing: ['util'],
  http: ['util', 'config', 'ratelimit'],
  imds: ['util', 'http', 'config', 'signing', 'ratelimit'],
  lab: ['util', 'config', 'wire', 'process'],
  control: ['util', 'config', 'http', 'imds'],
  // check/: imds-lab check (cases, pure grading, a recorder over library mode handed in by lib.ts, renderers).
  check: ['util', 'wire', 'lab', 'config', 'http', 'imds', 'control'],
  // capture/: what the TUN capture needs from the system (root-namespace guard, the route's `ip`, primary IP).
  capture: ['util', 'config', 'process'],
  // daemon/: the one composition root (capture, VMs, control plane): everything below the CLI.
  daemon: ['util', 'wire', 'tcp', 'link', 'stack', 'net', 'ratelimit', 'config', 'signing', 'http', 'imds', 'control', 'capture'],
  // view/: pure HTML/SVG view models and renderers over the lab's facts (doctor, trace).
  view: ['util', 'lab', 'check'],
};

const forbidden = [
  {
    name: 'no-circular',
    severity: 'error',
    comment: 'Import cycles (including import type) are not allowed.',
    from: {},
    to: { circular: true },
  },
  {
    name: 'no-node-io-in-pure-layers',
    severity: 'error',
    comment: 'wire/ and tcp/ are pure: no Node I/O modules.',
    from: { path: '^src/(wire|tcp)/' },
    to: { path: '^(node:)?(fs|net|dgram|child_process|http|https|os|dns|worker_threads)$', dependencyTypes: ['core'] },
  },
];
forbidden.push({
  name: 'tcp-wire-types-only',
  severity: 'error',
  comment: 'tcp/ takes only types from wire/, besides the segment model it shares with it (wire/tcp-segment.ts: TcpSegment, TcpFlags).',
  from: { path: '^src/tcp/' },
  to: { path: '^src/wire/', pathNot: '^src/wire/tcp-segment\\.ts$', dependencyTypesNot: ['type-only'] },
});
for (const [layer, allowed] of Object.entries(layers)) {
  const ok = [layer, ...allowed].join('|');
  forbidden.push({
    name: `layer-${layer}`,
    severity: 'error',
    comment: `src/${layer}/ may import only: ${allowed.join(', ') || 'nothing of ours'}.`,
    from: { path: `^src/${layer}/` },
    to: { path: '^src/', pathNot: `^src/(${ok})/` },
  });
}

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^dist/|\\.test\\.ts$)' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
