import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connection, secondaryNicFacts } from '../../test/helpers/view-facts.ts';
import { escapeHtml } from './html-escape.ts';
import { buildLadders } from './ladder-model.ts';
import { renderPage } from './page-html.ts';
import { applyFix, buildPathView } from './path-model.ts';

const EVIL = `/metadata/"><script>alert(1)</script><img src=x onerror=alert(2)>`;

function page(): string {
  const facts = secondaryNicFacts();
  const c = connection({
    synCount: 2,
    synUs: [1_000_000, 2_000_000],
    synAckUs: 2_000_300,
    exchanges: [{ request: `GET ${EVIL}?api-version=<b>x</b>`, requestUs: 2_000_500, status: 404, reason: `Not Found<script>`, responseUs: 2_000_900, rule: 'route', headers: { metadata: `"'><svg onload=alert(3)>`, xForwardedFor: null, userAgent: null } }],
  });
  return renderPage({
    title: 'doctor <lab>',
    facts: [['lab', 'v1']],
    verdict: { ok: false, title: 'problem', detail: 'eth1', fix: 'ip route replace 169.254.169.254/32 via 10.1.0.1 dev eth0' },
    paths: [buildPathView(facts, { caption: 'As running', predicted: false }), buildPathView(applyFix(facts, { routes: [{ to: '169.254.169.254/32', via: '10.1.0.1', dev: 'eth0' }], env: {} }), { caption: 'With --fixed', predicted: true })],
    pathNote: null,
    ladders: buildLadders([c], null),
    ladderNote: null,
    checks: [{ heading: 'from <vm>', findings: [{ check: 'probe <i>', ok: false, detail: EVIL }, { check: 'route', ok: true, detail: 'dev eth0' }] }],
  });
}

describe('renderPage', () => {
  it('escapes everything from the network: no script, no injected element or attribute', () => {
    const html = page();
    assert.doesNotMatch(html, /<script|<img|<svg onload|<b>x/i);
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.match(html, /Metadata: &quot;&#39;&gt;&lt;svg onload=alert\(3\)&gt;/);
    assert.equal(escapeHtml('a\u0000b\u001bc'), 'a\ufffdb\ufffdc');
    assert.match(html, /<caption>from &lt;vm&gt;<\/caption>.*<td class="fail">FAIL<\/td><td>probe &lt;i&gt;<\/td><td class="w">\/metadata\/&quot;&gt;&lt;script&gt;.*<td class="pass">ok<\/td><td>route<\/td>/s);
  });

  it('is self-contained: a CSP that forbids scripts and network, no external URL', () => {
    const html = page();
    assert.match(html, /Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'"/);
    assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//);
  });

  it('gives every SVG a role, a title and a description, and each figure a text equivalent', () => {
    const html = page();
    const svgs = html.match(/<svg [^>]*>/g) ?? [];
    assert.equal(svgs.length, 3);
    for (const svg of svgs) assert.match(svg, /role="img" aria-labelledby="[a-z0-9-]+-title [a-z0-9-]+-desc"/);
    assert.equal((html.match(/<desc id=/g) ?? []).length, 3);
    assert.equal((html.match(/<table>/g) ?? []).length, 3, 'two route tables and one event table');
    assert.equal((html.match(/class="ev ev-syn[ "]/g) ?? []).length, 2, 'one SYN drawn per SYN seen');
    assert.match(html, /<tr class="chosen"><td>169\.254\.169\.254<\/td><td>eth1<\/td>/);
    assert.match(html, /@media print/);
  });
});
