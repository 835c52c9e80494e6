// The --log-requests line (responder.log): one line per request whatever the client sends, parsed back by
// `trace` (parseRequestLog), query round-trips through URLSearchParams (issue 11 point 6).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { subscribeRequests, type RequestLogEntry } from '../http/request-log.ts';
import { parseRequestLog } from '../lab/trace-analysis.ts';
import { duplexRequest } from '../../test/helpers/duplex-request.ts';
import { closeTestServers, H, harness } from '../../test/helpers/http-test-server.ts';
import { escapeLogText, formatRequestLine } from './request-log-line.ts';

after(closeTestServers);

function entry(path: string, query: [string, string][]): RequestLogEntry {
  return {
    time: '2026-01-01T00:00:00.000Z', vm: 'vm', remoteAddress: '10.1.0.4', remotePort: 5, method: 'GET', path, query,
    headers: { metadata: 'true', xForwardedFor: undefined, userAgent: undefined },
    status: 400, rule: 'E4', route: 'instance', faultId: null, latencyMs: 0.5, responseBytes: 10, error: null,
  };
}

const FORGED = '2026-01-01T00:00:01.000Z 10.9.9.9 200 handler GET /metadata/identity/oauth2/token 1.0ms';

describe('request-log line escaping', () => {
  it('a normal request keeps its readable line, which trace parses', () => {
    const line = formatRequestLine(entry('/metadata/instance/compute', [['api-version', '2021-02-01'], ['format', 'json'], ['resource', 'https://management.azure.com/']]));
    assert.equal(line, '2026-01-01T00:00:00.000Z 10.1.0.4 400 E4 GET /metadata/instance/compute?api-version=2021-02-01&format=json&resource=https://management.azure.com/ 0.5ms');
    assert.deepEqual(parseRequestLog(`${line}\n`), [
      { time: '2026-01-01T00:00:00.000Z', remoteAddress: '10.1.0.4', status: 400, rule: 'E4', method: 'GET', target: '/metadata/instance/compute?api-version=2021-02-01&format=json&resource=https://management.azure.com/' },
    ]);
  });

  it('a decoded newline in a query value cannot forge a second line', () => {
    const line = formatRequestLine(entry('/metadata/instance', [['x', `\n${FORGED}`], [`\r\n${FORGED}`, 'y']]));
    assert.doesNotMatch(line, /[\r\n]/);
    const parsed = parseRequestLog(`${line}\n`);
    assert.equal(parsed.length, 1, 'one request, one line');
    assert.equal(parsed[0]!.remoteAddress, '10.1.0.4');
    assert.equal(parsed[0]!.rule, 'E4');
    assert.match(parsed[0]!.target, /^\/metadata\/instance\?x=%0A2026-01-01T00/);
  });

  it('every control character, DEL, C1 and Unicode line separators are percent-encoded', () => {
    const nasty = ['\0', '\t', '\x0b', '\x0c', '\x1b[31m', '\x7f', '\u0085', '\u2028', '\u2029', ' '];
    for (const c of nasty) {
      const line = formatRequestLine(entry('/metadata/instance', [['q', `a${c}b`]]));
      // eslint-disable-next-line no-control-regex
      assert.doesNotMatch(line, /[\x00-\x1f\x7f\u0080-\u009f\u2028\u2029]/, JSON.stringify(c));
      assert.equal(line.split(' ').length, 7, `${JSON.stringify(c)}: still seven space-separated fields`);
      assert.equal(parseRequestLog(line).length, 1, JSON.stringify(c));
    }
    assert.equal(escapeLogText('\ud800'), '%EF%BF%BD', 'a lone surrogate becomes U+FFFD');
  });

  it('the query decodes back to the same entries (separators and % inside values are escaped)', () => {
    const query: [string, string][] = [['a&b', 'c=d'], ['plus', '1+1 2'], ['pct', '100%25%'], ['uni', 'é☃𝄞'], ['dup', '1'], ['dup', '2'], ['empty', '']];
    const line = formatRequestLine(entry('/metadata/instance', query));
    const target = line.split(' ')[5]!;
    assert.deepEqual([...new URLSearchParams(target.slice(target.indexOf('?') + 1))], query);
  });

  it('through the server: ?x=%0a<forged line> is logged as one line', async () => {
    const { server } = harness();
    const lines: string[] = [];
    const unsubscribe = subscribeRequests((e) => lines.push(formatRequestLine(e)));
    try {
      const res = await duplexRequest(server, `/metadata/instance?api-version=2021-02-01&x=%0a${encodeURIComponent(FORGED)}%0d`, { headers: H });
      assert.equal(res.status, 200);
    } finally {
      unsubscribe();
    }
    assert.equal(lines.length, 1);
    assert.doesNotMatch(lines[0]!, /[\r\n]/);
    const parsed = parseRequestLog(`${lines.join('\n')}\n`);
    assert.equal(parsed.length, 1);
    assert.equal(parsed[0]!.status, 200);
    assert.ok(parsed[0]!.target.endsWith('%0D'), parsed[0]!.target);
  });
});
