// IPv4 addresses as unsigned 32-bit numbers: parse, format, prefixes and the Azure subnet gateway.
import { ImdsLabError } from './errors.ts';

export class AddressError extends ImdsLabError {}

const QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Parses a dotted quad into an unsigned 32-bit number; throws AddressError on anything else. */
export function parseIpv4Address(text: string): number {
  const m = QUAD.exec(text);
  if (!m) throw new AddressError('ERR_BAD_ADDRESS', `not an IPv4 address: ${JSON.stringify(text)}`);
  let value = 0;
  for (let i = 1; i <= 4; i++) {
    const part = Number(m[i]);
    if (part > 255 || (m[i]!.length > 1 && m[i]!.startsWith('0'))) {
      throw new AddressError('ERR_BAD_ADDRESS', `not an IPv4 address: ${JSON.stringify(text)}`);
    }
    value = value * 256 + part;
  }
  return value >>> 0;
}

export function isIpv4Address(text: string): boolean {
  try {
    parseIpv4Address(text);
    return true;
  } catch {
    return false;
  }
}

export function formatIpv4Address(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

export function prefixMask(prefix: number): number {
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) {
    throw new AddressError('ERR_BAD_PREFIX', `not an IPv4 prefix length: ${prefix}`);
  }
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function networkAddress(address: number, prefix: number): number {
  return (address & prefixMask(prefix)) >>> 0;
}

export function inSubnet(address: number, network: number, prefix: number): boolean {
  return networkAddress(address, prefix) === networkAddress(network, prefix);
}

/** Azure reserves the first host address of every subnet for the default gateway. */
export function subnetGateway(network: number, prefix: number): number {
  return (networkAddress(network, prefix) + 1) >>> 0;
}

export const IMDS_ADDRESS = '169.254.169.254';
export const WIRESERVER_ADDRESS = '168.63.129.16';
