// A Link over a Linux TUN device through the tun.node addon (src/link/native, loaded by node-gyp-build): batched, non-blocking I/O.
// The TUN lives in the namespace the process runs in (`ip netns exec NS node ...`) or in `netns` when given.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImdsLabError } from '../util/errors.ts';
import type { Link, PacketReceiver } from './link.ts';

export class TunError extends ImdsLabError {
  /** The errno name behind the failure (ENOENT, EPERM, EBUSY, EINVAL, ...), when there is one. */
  readonly errno: string | undefined;

  constructor(code: string, message: string, errno?: string, cause?: unknown) {
    super(code, message, { cause });
    this.errno = errno;
  }
}

export type TunOptions = {
  /** Interface name, 1–15 bytes; an existing TUN of that name is attached, otherwise one is created. */
  name: string;
  /** Sets the interface MTU (SIOCSIFMTU) when given; also sizes the read buffer. */
  mtu?: number;
  /** Brings the interface up (default true). */
  up?: boolean;
  /** Network namespace to create the TUN in: a name under /var/run/netns or an absolute path (/proc/PID/ns/net). */
  netns?: string;
  /** Most packets handed to the receiver per wakeup (default 64). */
  batchSize?: number;
  /** Packets kept when the kernel answers EAGAIN to a write (default 4096); more are dropped and counted. */
  writeQueueLimit?: number;
  /**
   * Segmentation offload (default false): the device is opened with IFF_VNET_HDR and consecutive segments of one
   * TCP flow in a send() batch (same headers, contiguous sequence numbers, valid checksums) are written as ONE
   * GSO packet that the kernel forwards whole and splits only where a device needs it, as TSO does for kernel
   * TCP. Other packets are written one by one as before. Costs ~0.3 µs per packet read (the kernel's
   * virtio_net_hdr); see docs/performance.md for why it is not the default.
   */
  offload?: boolean;
  /** The clone device (default /dev/net/tun); tests point it elsewhere. */
  devicePath?: string;
};

export type TunStats = {
  packetsIn: number;
  bytesIn: number;
  readBatches: number;
  readEagain: number;
  readErrors: number;
  packetsOut: number;
  bytesOut: number;
  writeCalls: number;
  writeEagain: number;
  writeErrors: number;
  writeDropped: number;
  writeQueued: number;
  writeQueueMax: number;
  writeQueueLength: number;
  lastWriteErrno: number;
  /** GSO writes (each carries several TCP segments) and the segments they carried (offload). */
  gsoWrites: number;
  gsoPackets: number;
  /** Packets given to send() after close(), dropped. */
  sendAfterClose: number;
};

export interface TunLink extends Link {
  /** The interface name the kernel reports (resolves `%d` patterns). */
  readonly name: string;
  stats(): TunStats;
  /** Receives asynchronous read errors (the device was deleted, ...); without a listener they are thrown. */
  onError(listener: (error: TunError) => void): void;
  readonly closed: boolean;
}

type NativeDevice = {
  readonly name: string;
  start(slab: Uint8Array, meta: Uint32Array, maxPacket: number, onRead: (count: number) => void, onError: (error: Error) => void): void;
  stop(): void;
  writeBatch(packets: readonly Uint8Array[]): number;
  setMtu(mtu: number): void;
  getMtu(): number;
  setUp(up: boolean): void;
  stats(): Omit<TunStats, 'sendAfterClose'>;
  close(): void;
};
type NativeModule = {
  TunDevice: new (name: string, devicePath: string, queueLimit?: number, netnsPath?: string, offload?: boolean) => NativeDevice;
};

/** The package root (where binding.gyp, build/ and prebuilds/ are): from src/link (tsx) or dist/src/link (tsc build). */
function packageRoot(): string {
  for (const relative of ['../../', '../../../']) {
    const dir = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(join(dir, 'binding.gyp'))) return dir;
  }
  return fileURLToPath(new URL('../../', import.meta.url));
}

/** What to do without the addon: in a git clone build it; in an installed package use socket capture or rebuild. */
export function tunAddonMissingMessage(root: string, reason: string): string {
  const clone = existsSync(join(root, '.git'));
  const fix = clone
    ? 'build it with scripts/install-deps (node-gyp; needs gcc, make, python3 and the Node headers)'
    : 'imds-lab ships prebuilt binaries for linux-x64 and linux-arm64 (glibc); elsewhere install gcc, make and python3 and run `npm rebuild imds-lab`';
  return `--capture tun needs the TUN addon (tun.node), which ${reason}: use --capture socket (no addon needed), or ${fix}`;
}

let addon: NativeModule | undefined;

/** Loads tun.node once (node-gyp-build: build/Release, else prebuilds/<platform>-<arch>); throws TunError ERR_TUN_NOT_BUILT with the fix. */
export function loadTunAddon(): NativeModule {
  if (addon) return addon;
  const require = createRequire(import.meta.url);
  const root = packageRoot();
  if (process.platform !== 'linux') throw new TunError('ERR_TUN_NOT_BUILT', tunAddonMissingMessage(root, `exists on Linux only (this is ${process.platform})`));
  const nodeGypBuild = require('node-gyp-build') as { resolve(dir: string): string };
  let path: string;
  try {
    path = nodeGypBuild.resolve(root);
  } catch {
    throw new TunError('ERR_TUN_NOT_BUILT', tunAddonMissingMessage(root, `has no binary for linux-${process.arch} in ${root} (no prebuilt one fits and none was built)`));
  }
  try {
    addon = require(path) as NativeModule;
  } catch (error) {
    throw new TunError('ERR_TUN_NOT_BUILT', tunAddonMissingMessage(root, `does not load from ${path} (${error instanceof Error ? error.message : String(error)})`), undefined, error);
  }
  return addon;
}

const ERRNO_CODES: Record<string, string> = {
  ENOENT: 'ERR_TUN_NO_DEVICE',
  ENODEV: 'ERR_TUN_NO_DEVICE',
  ENXIO: 'ERR_TUN_NO_DEVICE',
  EPERM: 'ERR_TUN_PERMISSION',
  EACCES: 'ERR_TUN_PERMISSION',
  EBUSY: 'ERR_TUN_BUSY',
  EEXIST: 'ERR_TUN_BUSY',
  EINVAL: 'ERR_TUN_BAD_NAME',
};

/** Turns a native errno error into a TunError whose message says what to do about it. */
function explain(error: unknown, options: TunOptions, devicePath: string, netnsPath: string | undefined): TunError {
  const native = error as { code?: string; syscall?: string; message?: string };
  const errno = native.code ?? 'EUNKNOWN';
  const detail = native.message ?? String(error);
  const name = JSON.stringify(options.name);
  if (native.syscall === 'open(netns)' || native.syscall === 'setns') {
    return new TunError('ERR_TUN_NETNS', `cannot enter network namespace ${netnsPath} (${errno}): ${detail}`, errno, error);
  }
  switch (ERRNO_CODES[errno]) {
    case 'ERR_TUN_NO_DEVICE':
      return new TunError('ERR_TUN_NO_DEVICE', `${devicePath} is missing (${errno}): load the tun module (modprobe tun) or create the node (mkdir -p /dev/net && mknod ${devicePath} c 10 200), or use --capture socket (no TUN needed; containers often lack the device); ${detail}`, errno, error);
    case 'ERR_TUN_PERMISSION':
      return new TunError('ERR_TUN_PERMISSION', `opening TUN ${name} needs CAP_NET_ADMIN in its network namespace (${errno}): run as root, e.g. under \`ip netns exec NS ...\`; ${detail}`, errno, error);
    case 'ERR_TUN_BUSY':
      return new TunError('ERR_TUN_BUSY', `TUN name ${name} is busy (${errno}): another process has that TUN open; ${detail}`, errno, error);
    case 'ERR_TUN_BAD_NAME':
      return new TunError('ERR_TUN_BAD_NAME', `bad TUN name ${name} (${errno}): it must be 1-15 bytes without '/', ':' or whitespace, and must not name an existing non-TUN interface; ${detail}`, errno, error);
    default:
      return new TunError('ERR_TUN_OPEN', `cannot open TUN ${name} (${errno}): ${detail}`, errno, error);
  }
}

function resolveNetns(netns: string | undefined): string | undefined {
  if (netns === undefined) return undefined;
  if (netns.startsWith('/')) return netns;
  if (!/^[A-Za-z0-9_.-]+$/.test(netns) || netns === '.' || netns === '..') {
    throw new TunError('ERR_TUN_NETNS', `netns must be a namespace name or an absolute path, got ${JSON.stringify(netns)}`);
  }
  return `/var/run/netns/${netns}`;
}

function checkInteger(field: string, value: number | undefined, min: number, max: number): void {
  if (value !== undefined && (!Number.isInteger(value) || value < min || value > max)) {
    throw new TunError('ERR_TUN_BAD_OPTION', `${field} must be an integer in ${min}..${max}, got ${value}`);
  }
}

/** Opens (creates or attaches) a TUN device and returns it as a Link. Reading starts at setReceiver(). */
export function openTun(options: TunOptions): TunLink {
  if (typeof options.name !== 'string') throw new TunError('ERR_TUN_BAD_OPTION', 'name must be a string');
  checkInteger('mtu', options.mtu, 68, 65535);
  checkInteger('batchSize', options.batchSize, 1, 4096);
  checkInteger('writeQueueLimit', options.writeQueueLimit, 1, 1 << 20);
  const native = loadTunAddon();
  const devicePath = options.devicePath ?? '/dev/net/tun';
  const netnsPath = resolveNetns(options.netns);
  let device: NativeDevice;
  try {
    device = new native.TunDevice(options.name, devicePath, options.writeQueueLimit, netnsPath, options.offload ?? false);
  } catch (error) {
    throw explain(error, options, devicePath, netnsPath);
  }
  try {
    if (options.mtu !== undefined) device.setMtu(options.mtu);
    if (options.up ?? true) device.setUp(true);
    return new NativeTunLink(device, Math.max(options.mtu ?? 0, device.getMtu()), options.batchSize ?? 64);
  } catch (error) {
    device.close();
    const native = error as { code?: string; message?: string };
    throw new TunError('ERR_TUN_SETUP', `cannot configure TUN ${JSON.stringify(device.name)}: ${native.message ?? String(error)}`, native.code, error);
  }
}

class NativeTunLink implements TunLink {
  readonly mtu: number;
  readonly name: string;
  private readonly device: NativeDevice;
  private readonly batchSize: number;
  private receiver: PacketReceiver | undefined;
  private errorListener: ((error: TunError) => void) | undefined;
  private slab: Uint8Array | undefined;
  private meta: Uint32Array | undefined;
  private isClosed = false;
  private sendAfterClose = 0;

  constructor(device: NativeDevice, mtu: number, batchSize: number) {
    this.device = device;
    this.name = device.name;
    this.mtu = mtu;
    this.batchSize = batchSize;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  send(packets: readonly Uint8Array[]): void {
    if (this.isClosed) {
      this.sendAfterClose += packets.length;
      return;
    }
    if (packets.length > 0) this.device.writeBatch(packets);
  }

  setReceiver(receiver: PacketReceiver): void {
    if (this.isClosed) throw new TunError('ERR_TUN_CLOSED', `TUN ${this.name} is closed`);
    const first = this.receiver === undefined;
    this.receiver = receiver;
    if (!first) return;
    // One slab reused for every batch: packets are packed back to back, meta holds (offset, length) pairs.
    const slab = new Uint8Array(this.batchSize * this.mtu);
    const meta = new Uint32Array(this.batchSize * 2);
    this.slab = slab;
    this.meta = meta;
    this.device.start(slab, meta, this.mtu, (count) => this.deliver(count), (error) => this.fail(error));
  }

  onError(listener: (error: TunError) => void): void {
    this.errorListener = listener;
  }

  stats(): TunStats {
    return { ...this.device.stats(), sendAfterClose: this.sendAfterClose };
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.device.close();
    this.receiver = undefined;
    this.slab = undefined;
    this.meta = undefined;
  }

  private deliver(count: number): void {
    const slab = this.slab;
    const meta = this.meta;
    if (!slab || !meta) return;
    const buffer = slab.buffer;
    const base = slab.byteOffset;
    for (let i = 0; i < count; i++) {
      // close() inside the receiver stops the rest of the batch.
      const receiver = this.receiver;
      if (!receiver) return;
      // A direct view (cheaper than subarray(), which looks up the species constructor).
      receiver(new Uint8Array(buffer, base + meta[2 * i]!, meta[2 * i + 1]!));
    }
  }

  private fail(error: Error): void {
    const code = (error as { code?: string }).code;
    const wrapped = new TunError('ERR_TUN_IO', `TUN ${this.name} stopped reading: ${error.message}`, code, error);
    if (!this.errorListener) throw wrapped;
    this.errorListener(wrapped);
  }
}
