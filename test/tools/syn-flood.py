# Half-open SYN flood for namespace tests: sends N SYNs (MSS, SACK-permitted, timestamps, window scale, as
# Linux does) from a raw socket and counts the SYN-ACKs that come back. Usage: syn-flood.py SRC DST COUNT.
# The caller suppresses the kernel's RSTs to those SYN-ACKs (nftables), so every answered SYN stays half-open.
import random, socket, struct, sys, time

src, dst, count = sys.argv[1], sys.argv[2], int(sys.argv[3])

def checksum(data):
    if len(data) % 2:
        data += b'\0'
    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return ~total & 0xffff

def syn(sport, seq):
    options = struct.pack('!BBH', 2, 4, 1460) + bytes([4, 2]) + struct.pack('!BBII', 8, 10, int(time.time() * 1000) & 0xffffffff, 0) + bytes([1, 3, 3, 7])
    offset = (20 + len(options)) // 4
    header = struct.pack('!HHIIBBHHH', sport, 80, seq, 0, offset << 4, 0x02, 64240, 0, 0) + options
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack('!BBH', 0, 6, len(header))
    return header[:16] + struct.pack('!H', checksum(pseudo + header)) + header[18:]

sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
ports = set(range(20000, 20000 + count))
for port in sorted(ports):
    sock.sendto(syn(port, random.getrandbits(32)), (dst, 0))
answered = set()
sock.settimeout(0.2)
deadline = time.time() + 3
while time.time() < deadline and len(answered) < count:
    try:
        packet = sock.recv(2048)
    except socket.timeout:
        continue
    ihl = (packet[0] & 15) * 4
    sport, dport = struct.unpack('!HH', packet[ihl:ihl + 4])
    flags = packet[ihl + 13]
    if socket.inet_ntoa(packet[12:16]) == dst and sport == 80 and dport in ports and flags & 0x12 == 0x12:
        answered.add(dport)
print('%d %d' % (count, len(answered)))
