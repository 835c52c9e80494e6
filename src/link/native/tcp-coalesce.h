/* TCP segment coalescing for TUN writes (IFF_VNET_HDR): consecutive IPv4/TCP segments of one flow are
   written as ONE GSO super-packet (virtio_net_hdr GSO_TCPV4), which the kernel forwards and delivers
   as one skb, segmenting it only where a device cannot take it (as TSO does for kernel TCP). */
#ifndef TCP_COALESCE_H
#define TCP_COALESCE_H
#include <stddef.h>
#include <stdint.h>

#define COALESCE_MAX_SEGMENTS 44 /* 44 x 1460 bytes stays under the 64 KiB IPv4 total length */
#define COALESCE_MAX_HEADER 120  /* IPv4 (20, no options) + TCP (up to 60) */

typedef struct {
  const uint8_t *data;
  size_t len;
} packet_ref;

/* How many packets from pkts[0] (at most `count`) form one run that can be written as one GSO packet
   (1 when pkts[0] cannot be merged with its successor). Only well-formed segments with valid IPv4 and
   TCP checksums are merged, so a deliberately corrupted packet is written alone, unchanged. */
size_t coalesce_run(const packet_ref *pkts, size_t count);

/* For a run of n >= 2 from coalesce_run: writes the merged IPv4+TCP header into `header` (length
   returned in *header_len) and fills the 10-byte virtio_net_hdr `vnet`. Payloads follow in order. */
void coalesce_header(const packet_ref *pkts, size_t n, uint8_t *header, size_t *header_len, uint8_t *vnet);
#endif
