// The link boundary: moves whole IPv4 packets in and out (a TUN device, an in-memory pair, a pcap tap).

export type PacketReceiver = (packet: Uint8Array) => void;

export interface Link {
  readonly mtu: number;
  /** Sends packets in order; may batch them into one system call. */
  send(packets: readonly Uint8Array[]): void;
  /** Installs the single receiver of incoming packets. The packet buffer may be reused after the call returns. */
  setReceiver(receiver: PacketReceiver): void;
  close(): void;
}
