// RFC 6298 estimator arithmetic, clamps and backoff; NewReno window arithmetic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NewReno } from './congestion.ts';
import { RtoEstimator } from './rto.ts';

test('initial RTO, first sample, later samples (RFC 6298 §2)', () => {
  const rto = new RtoEstimator(1000, 200, 60_000);
  assert.equal(rto.rto, 1000);
  rto.sample(100); // SRTT 100, RTTVAR 50 -> 100 + 200 = 300
  assert.equal(rto.srtt, 100);
  assert.equal(rto.rttvar, 50);
  assert.equal(rto.rto, 300);
  rto.sample(100); // RTTVAR 37.5, SRTT 100 -> 250
  assert.equal(rto.rto, 250);
  for (let i = 0; i < 50; i++) rto.sample(10);
  assert.equal(rto.rto, 200, 'clamped to the minimum');
});

test('backoff doubles up to the maximum; a new sample clears it', () => {
  const rto = new RtoEstimator(1000, 200, 5000);
  rto.backoff();
  assert.equal(rto.rto, 2000);
  rto.backoff();
  rto.backoff();
  assert.equal(rto.rto, 5000);
  rto.backoff();
  assert.equal(rto.rto, 5000);
  rto.sample(40);
  assert.equal(rto.backoffCount, 0);
  assert.equal(rto.rto, 200);
});

test('NewReno: initial window, slow start, fast recovery, timeout', () => {
  const cc = new NewReno(1000);
  assert.equal(cc.cwnd, 10_000);
  cc.onAck(1000);
  assert.equal(cc.cwnd, 11_000);
  cc.enterRecovery(20_000);
  assert.equal(cc.ssthresh, 10_000);
  assert.equal(cc.cwnd, 13_000);
  cc.onDupAckInRecovery();
  assert.equal(cc.cwnd, 14_000);
  cc.onPartialAck(3000);
  assert.equal(cc.cwnd, 12_000);
  cc.exitRecovery(5000);
  assert.equal(cc.cwnd, 6000);
  cc.onTimeout(8000);
  assert.equal(cc.cwnd, 1000);
  assert.equal(cc.ssthresh, 4000);
  for (let i = 0; i < 3; i++) cc.onAck(1000);
  assert.equal(cc.cwnd, 4000);
  cc.onAck(1000); // congestion avoidance: one MSS per window of acked bytes
  cc.onAck(1000);
  cc.onAck(1000);
  assert.equal(cc.cwnd, 4000);
  cc.onAck(1000);
  assert.equal(cc.cwnd, 5000);
});
