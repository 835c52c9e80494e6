/* TCP segment coalescing for TUN writes: run detection (same flow, contiguous sequence numbers, equal
   segment sizes, identical headers but for length/ID/checksums/PSH-FIN on the last) and the GSO header.
   RFC 9293 §3.1 header layout; virtio 1.1 §5.1.6.2 (virtio_net_hdr) for the offload header. */
#include "tcp-coalesce.h"
#include <linux/virtio_net.h>
#include <string.h>

static uint64_t sum_bytes(const uint8_t *p, size_t n, uint64_t sum) {
  size_t i = 0;
  for (; i + 1 < n; i += 2) sum += (uint32_t)((p[i] << 8) | p[i + 1]);
  if (i < n) sum += (uint32_t)(p[i] << 8);
  return sum;
}

static uint16_t fold(uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)sum;
}

/* Pseudo-header sum (RFC 9293 §3.1): source, destination, protocol 6, TCP length. */
static uint64_t pseudo_sum(const uint8_t *ip, size_t tcp_len) {
  return sum_bytes(ip + 12, 8, 0) + 6 + (uint64_t)tcp_len;
}

/* IPv4 (no options, not a fragment) carrying TCP, lengths consistent, both checksums valid. */
static int tcp_segment(const uint8_t *p, size_t len, size_t *tcp_header) {
  if (len < 40 || p[0] != 0x45 || p[9] != 6) return 0;
  if ((size_t)((p[2] << 8) | p[3]) != len) return 0;
  if ((p[6] & 0x3f) != 0 || p[7] != 0) return 0; /* MF or a fragment offset */
  size_t thl = (size_t)(p[32] >> 4) * 4;
  if (thl < 20 || 20 + thl > len) return 0;
  if (fold(sum_bytes(p, 20, 0)) != 0xffff) return 0;
  if (fold(sum_bytes(p + 20, len - 20, pseudo_sum(p, len - 20))) != 0xffff) return 0;
  *tcp_header = thl;
  return 1;
}

static uint32_t be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

#define TCP_ACK 0x10
#define TCP_PSH 0x08
#define TCP_FIN 0x01

size_t coalesce_run(const packet_ref *pkts, size_t count) {
  size_t thl = 0, thl_j = 0;
  if (count < 2) return 1;
  const uint8_t *a = pkts[0].data;
  if (!tcp_segment(a, pkts[0].len, &thl) || a[38] != 0 || a[39] != 0) return 1;
  const size_t hl = 20 + thl;
  const size_t mss = pkts[0].len - hl;
  if (mss == 0) return 1;
  size_t n = 1, total = pkts[0].len;
  uint32_t next_seq = be32(a + 24) + (uint32_t)mss;
  while (n < count && n < COALESCE_MAX_SEGMENTS) {
    const uint8_t *prev = pkts[n - 1].data;
    /* Every segment but the last: exactly ACK and a full gso_size payload. */
    if (prev[33] != TCP_ACK || pkts[n - 1].len - hl != mss) break;
    const uint8_t *b = pkts[n].data;
    size_t len = pkts[n].len;
    if (!tcp_segment(b, len, &thl_j) || thl_j != thl) break;
    size_t payload = len - hl;
    if (payload == 0 || payload > mss || total + payload > 65535) break;
    /* IPv4: same version/IHL/TOS, flags, TTL, protocol, addresses (length, ID and checksum differ). */
    if (memcmp(a, b, 2) != 0 || a[6] != b[6] || memcmp(a + 8, b + 8, 2) != 0 || memcmp(a + 12, b + 12, 8) != 0) break;
    /* TCP: ports, the next sequence number, ACK number, data offset, window, urgent pointer, options. */
    if (memcmp(a + 20, b + 20, 4) != 0 || be32(b + 24) != next_seq || memcmp(a + 28, b + 28, 5) != 0) break;
    if ((b[33] & ~(TCP_PSH | TCP_FIN)) != TCP_ACK) break;
    if (memcmp(a + 34, b + 34, 2) != 0 || b[38] != 0 || b[39] != 0 || memcmp(a + 40, b + 40, thl - 20) != 0) break;
    total += payload;
    next_seq += (uint32_t)payload;
    n++;
  }
  return n;
}

void coalesce_header(const packet_ref *pkts, size_t n, uint8_t *header, size_t *header_len, uint8_t *vnet) {
  const uint8_t *first = pkts[0].data;
  const size_t thl = (size_t)(first[32] >> 4) * 4;
  const size_t hl = 20 + thl;
  size_t total = hl;
  for (size_t i = 0; i < n; i++) total += pkts[i].len - hl;
  memcpy(header, first, hl);
  header[2] = (uint8_t)(total >> 8);
  header[3] = (uint8_t)total;
  header[10] = header[11] = 0;
  uint16_t ip_check = (uint16_t)~fold(sum_bytes(header, 20, 0));
  header[10] = (uint8_t)(ip_check >> 8);
  header[11] = (uint8_t)ip_check;
  header[33] = pkts[n - 1].data[33]; /* PSH/FIN of the last segment; GSO clears them on the others */
  /* CHECKSUM_PARTIAL: the TCP checksum field holds the folded pseudo-header sum, not complemented. */
  uint16_t partial = fold(pseudo_sum(header, total - 20));
  header[36] = (uint8_t)(partial >> 8);
  header[37] = (uint8_t)partial;
  *header_len = hl;
  struct virtio_net_hdr h;
  memset(&h, 0, sizeof h);
  h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
  h.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
  h.hdr_len = (uint16_t)hl;
  h.gso_size = (uint16_t)(pkts[0].len - hl);
  h.csum_start = 20;
  h.csum_offset = 16;
  memcpy(vnet, &h, sizeof h);
}
