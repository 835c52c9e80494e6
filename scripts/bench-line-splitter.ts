// The control socket's line splitter on one line of 8 MiB - 1 byte fed in 4 KiB chunks, against the same line
// in one chunk (the baseline, same run): linear splitting keeps the ratio near 1; re-joining the partial line
// for every chunk made it quadratic. Usage: node --import tsx scripts/bench-line-splitter.ts
import { LineSplitter } from '../src/control/json-lines.ts';

const size = 8 * 1024 * 1024 - 1;
const line = Buffer.alloc(size + 1, 0x78);
line[size] = 0x0a;

function feed(chunkBytes: number): number {
  const started = performance.now();
  const splitter = new LineSplitter();
  let got = 0;
  for (let offset = 0; offset < line.length; offset += chunkBytes) got += splitter.push(line.subarray(offset, offset + chunkBytes)).length;
  if (got !== 1) throw new Error(`expected one line, got ${got}`);
  return performance.now() - started;
}

feed(line.length);
const whole = Math.min(feed(line.length), feed(line.length), feed(line.length));
const chunked = Math.min(feed(4096), feed(4096), feed(4096));
console.log(`one 8 MiB line: in one chunk ${whole.toFixed(1)} ms, in 4 KiB chunks ${chunked.toFixed(1)} ms (ratio ${(chunked / whole).toFixed(1)})`);
