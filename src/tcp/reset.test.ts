// RST replies for segments to closed ports (RFC 9293 §3.10.7.1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resetForClosed, segmentLength } from './reset.ts';
import { flagsOf, segment } from '../../test/helpers/tcb-harness.ts';

test('a segment with ACK gets <SEQ=SEG.ACK><CTL=RST>', () => {
  const reply = resetForClosed(segment({ seq: 100, ack: 0xdeadbeef, flags: 'PA', payload: 'x' }))!;
  assert.equal(flagsOf(reply), 'R');
  assert.equal(reply.seq, 0xdeadbeef);
  assert.equal(reply.srcPort, 80);
  assert.equal(reply.dstPort, 40000);
  assert.equal(reply.payload.length, 0);
});

test('a SYN without ACK gets <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>, counting SYN and FIN', () => {
  const syn = resetForClosed(segment({ seq: 0xffffffff, flags: 'S' }))!;
  assert.equal(flagsOf(syn), 'RA');
  assert.equal(syn.seq, 0);
  assert.equal(syn.ack, 0);
  const synFinData = segment({ seq: 10, flags: 'SF', payload: 'abc' });
  assert.equal(segmentLength(synFinData), 5);
  assert.equal(resetForClosed(synFinData)!.ack, 15);
});

test('an incoming RST is never answered', () => {
  assert.equal(resetForClosed(segment({ seq: 1, flags: 'R' })), undefined);
  assert.equal(resetForClosed(segment({ seq: 1, ack: 2, flags: 'RA' })), undefined);
});
