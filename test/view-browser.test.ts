// The HTML view of real labs in a real headless browser (Debian's chromium via playwright-core): healthy,
// secondary-nic, failover-cluster, proxy-leak (run --html); a black-hole and an icmp-net fault, netpol-reject (doctor --html); asserts on
// the rendered page and takes screenshots (IMDS_LAB_VIEW_SHOTS=DIR keeps them, e.g. docs/img).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { exec, LabTestContext } from './helpers/lab-cli.ts';
import { privilegedSkipReason } from './helpers/netns.ts';

const skip = privilegedSkipReason();
const CHROMIUM = '/usr/bin/chromium';
const URL = 'http://169.254.169.254/metadata/instance?api-version=2021-02-01';
const CURL = ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '-m', '3', '-H', 'Metadata: true', URL];
const PATH_BLUE = 'rgb(10, 95, 180)';

/** SYNs in a capture counted independently of the view (tcpdump): one per (client port, TS value), so the same SYN seen on two interfaces counts once. */
/** A function run in the page: one computed style property of an element (the test's tsconfig has no DOM types). */
function computed(property: string): (e: unknown) => string {
  return new Function('e', `return getComputedStyle(e).${property}`) as (e: unknown) => string;
}

async function synsOnWire(pcap: string): Promise<number> {
  const r = await exec(['tcpdump', '-nr', pcap, 'tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn']);
  assert.equal(r.code, 0, r.stderr);
  const keys = new Set<string>();
  for (const line of r.stdout.split('\n')) {
    const m = /IP \d+\.\d+\.\d+\.\d+\.(\d+) > .*Flags \[S\], seq (\d+).*TS val (\d+)/.exec(line);
    if (m) keys.add(`${m[1]}|${m[2]}|${m[3]}`);
  }
  return keys.size;
}

describe('HTML view in a headless browser', { skip }, () => {
  const ctx = new LabTestContext('view');
  const out = mkdtempSync(join(tmpdir(), 'imds-lab-view-'));
  const profile = mkdtempSync(join(tmpdir(), 'imds-lab-chromium-'));
  const keepShots = process.env.IMDS_LAB_VIEW_SHOTS !== undefined;
  const shots = keepShots ? resolve(process.env.IMDS_LAB_VIEW_SHOTS!) : out;
  let browser: BrowserContext;
  const pages = new Map<string, Promise<{ html: string; pcap: string; code: number; stdout: string; stderr: string }>>();

  /** Runs one lab and writes its page; all labs start at once (the browser part is sequential). */
  function lab(id: string, make: (name: string, html: string, pcap: string) => Promise<{ code: number; stdout: string; stderr: string }>): void {
    const name = ctx.name();
    const html = join(out, `${id}.html`);
    const pcap = join(out, `${id}.pcap`);
    pages.set(id, make(name, html, pcap).then((r) => ({ html, pcap, ...r })));
  }

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: scripts/install-deps installs Debian's chromium`);
    mkdirSync(shots, { recursive: true });
    const run = (scenario: string) => async (name: string, html: string, pcap: string) => {
      const r = await ctx.cli(['run', '--name', name, '--scenario', scenario, '--pcap', pcap, '--html', html, '--', ...CURL]);
      return { code: r.code, stdout: r.stdout, stderr: r.stderr };
    };
    lab('healthy', run('healthy'));
    lab('secondary-nic', run('secondary-nic'));
    lab('failover-cluster', run('failover-cluster'));
    lab('proxy-leak', run('proxy-leak'));
    // A lab brought up with `upArgs`, changed with `ctl` words, then drawn by doctor --html.
    const doctor = (upArgs: readonly string[], ctl: readonly string[] | null) => async (name: string, html: string, pcap: string) => {
      try {
        const up = await ctx.cli(['up', '--name', name, ...upArgs, '--pcap', pcap]);
        assert.equal(up.code, 0, up.stderr);
        if (ctl) {
          const changed = await ctx.cli(['ctl', '--lab', name, ...ctl]);
          assert.equal(changed.code, 0, changed.stderr);
        }
        const r = await ctx.cli(['doctor', '--name', name, '--html', html]);
        return { code: r.code, stdout: r.stdout, stderr: r.stderr };
      } finally {
        await ctx.cli(['down', '--name', name]);
      }
    };
    lab('black-hole', doctor([], ['net', 'set', 'black-hole']));
    lab('icmp-net', doctor([], ['net', 'set', 'icmp-net']));
    lab('netpol-reject', doctor(['--scenario', 'netpol-reject'], null));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1400, height: 900 },
      offline: true,
    });
  });

  after(async () => {
    await browser?.close();
    await Promise.allSettled(pages.values());
    await ctx.cleanup();
    rmSync(out, { recursive: true, force: true });
    rmSync(profile, { recursive: true, force: true });
    assert.deepEqual(await ctx.leftovers(), [], 'no namespace of this suite is left');
  });

  async function open(id: string): Promise<{ page: Page; pcap: string; code: number; stdout: string }> {
    const made = await pages.get(id)!;
    assert.ok(existsSync(made.html), `${id}: the page was written (exit ${made.code}): ${made.stderr}`);
    const page = await browser.newPage();
    await page.goto(`file://${made.html}`);
    const shot = join(out, `view-${id}.png`);
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok(statSync(shot).size > 10_000, 'a real screenshot');
    if (keepShots) {
      // For the docs: the path figures and the first connection, each on its own.
      await page.locator('div.paths').screenshot({ path: join(shots, `view-${id}-path.png`) });
      if ((await page.locator('figure.ladder').count()) > 0) await page.locator('figure.ladder').first().screenshot({ path: join(shots, `view-${id}-connection.png`) });
    }
    return { page, pcap: made.pcap, code: made.code, stdout: made.stdout };
  }

  async function syn(page: Page): Promise<number> {
    return page.locator('svg.laddersvg g.ev-syn').count();
  }

  it('healthy: eth0 highlighted, 200 drawn, one SYN per SYN on the wire; readable at 400 px and in print', async () => {
    const { page, pcap, stdout } = await open('healthy');
    assert.equal(stdout, '200');
    assert.equal(await page.locator('figure.pathfig').count(), 1, 'no --fixed variant for healthy');
    assert.equal(await page.locator('figure.pathfig g.nic.chosen').getAttribute('data-device'), 'eth0');
    assert.equal(await page.locator('figure.pathfig tr.chosen td').first().innerText(), '169.254.169.254');
    assert.equal(await page.locator('figure.pathfig line.path').first().evaluate(computed('stroke')), PATH_BLUE);
    assert.equal(await page.locator('figure.pathfig g.stop').getAttribute('data-stop'), 'answered');
    assert.match(await page.locator('g.ev-response[data-status="200"] text.al').first().textContent() ?? '', /^200 OK$/);
    assert.equal(await syn(page), await synsOnWire(pcap));
    assert.ok((await page.getByRole('img', { name: /Path to 169\.254\.169\.254/ }).count()) === 1, 'the path SVG has an accessible name');
    await page.setViewportSize({ width: 400, height: 800 });
    assert.ok(Number(await page.evaluate('document.documentElement.scrollWidth')) <= 400, 'no horizontal scroll in a narrow window');
    await page.evaluate('window.scrollTo(0, 0)');
    if (keepShots) await page.screenshot({ path: join(shots, 'view-healthy-narrow.png'), fullPage: false });
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.locator('div.paths').evaluate(computed('display')), 'block');
    await page.close();
  });

  it('secondary-nic: eth1 highlighted, silently dropped, every SYN drawn as dropped; --fixed side by side goes through eth0', async () => {
    const { page, pcap, stdout } = await open('secondary-nic');
    assert.equal(stdout, '000', 'curl got no answer');
    const [running, fixed] = [page.locator('figure.pathfig').nth(0), page.locator('figure.pathfig').nth(1)];
    assert.equal(await running.locator('g.nic.chosen').getAttribute('data-device'), 'eth1');
    assert.deepEqual(await running.locator('tr.chosen td').allInnerTexts().then((t) => t.slice(0, 3)), ['169.254.169.254', 'eth1', '10.1.1.1']);
    assert.equal(await running.locator('g.stop').getAttribute('data-stop'), 'source-dropped');
    assert.equal(await fixed.locator('g.nic.chosen').getAttribute('data-device'), 'eth0');
    assert.equal(await fixed.locator('g.stop').getAttribute('data-stop'), 'answered');
    const box = [await running.boundingBox(), await fixed.boundingBox()];
    assert.ok(box[0] && box[1] && Math.abs(box[0].y - box[1].y) < 2 && box[1].x > box[0].x, 'side by side at 1400 px');
    const wire = await synsOnWire(pcap);
    assert.ok(wire >= 2, `curl -m 3 retransmits its SYN (${wire})`);
    assert.equal(await syn(page), wire);
    assert.equal(await page.locator('svg.laddersvg g.ev-syn[data-unanswered="true"]').count(), wire);
    assert.equal(await page.locator('svg.laddersvg g.ev-syn-ack').count(), 0);
    await page.close();
    // The same capture through trace --html: the connections without a path.
    const traced = join(out, 'secondary-nic-trace.html');
    const trace = await ctx.cli(['trace', pcap, '--html', traced]);
    assert.equal(trace.code, 0, trace.stderr);
    const tracePage = await browser.newPage();
    await tracePage.goto(`file://${traced}`);
    assert.equal(await tracePage.locator('figure.pathfig').count(), 0);
    assert.equal(await syn(tracePage), wire);
    assert.match(await tracePage.locator('figure.ladder figcaption').first().innerText(), /10\.1\.1\.4:\d+ → 169\.254\.169\.254:80 \(VM eth1, secondary NIC, primary IP\)/);
    await tracePage.close();
  });

  it('failover-cluster: the on-link 169.254.0.0/16 of cluster0 highlighted, stops at ARP; nothing reaches the host', async () => {
    const { page, pcap } = await open('failover-cluster');
    const running = page.locator('figure.pathfig').nth(0);
    assert.equal(await running.locator('g.nic.chosen').getAttribute('data-device'), 'cluster0');
    assert.deepEqual(await running.locator('tr.chosen td').allInnerTexts().then((t) => t.slice(0, 2)), ['169.254.0.0/16', 'cluster0']);
    assert.equal(await running.locator('g.stop').getAttribute('data-stop'), 'arp-unanswered');
    assert.match(await running.locator('p.stoptext').innerText(), /ARP/);
    assert.equal(await page.locator('figure.pathfig').nth(1).locator('g.stop').getAttribute('data-stop'), 'answered');
    assert.equal(await syn(page), await synsOnWire(pcap));
    assert.equal(await syn(page), 0);
    await page.close();
  });

  it('proxy-leak: the proxy on the path, its connection answered 403 by rule x-forwarded-for; NO_PROXY fixes it', async () => {
    const { page, pcap, stdout } = await open('proxy-leak');
    assert.equal(stdout, '403');
    const running = page.locator('figure.pathfig').nth(0);
    assert.equal(await running.locator('g.proxy.chosen').count(), 1);
    assert.equal(await running.locator('g.stop').getAttribute('data-stop'), 'proxy-forwarded-for');
    const response = page.locator('g.ev-response[data-status="403"]');
    assert.equal(await response.count(), 1);
    assert.match(await response.locator('text.al').textContent() ?? '', /^403 Forbidden$/);
    assert.equal(await response.locator('text.nl').textContent(), 'rule x-forwarded-for', 'the deciding rule is drawn under the status');
    assert.match(await page.locator('g.ev-request text.nl').first().textContent() ?? '', /^api 2021-02-01 · Metadata: true · XFF · via proxy$/);
    const table = await page.locator('figure.ladder table').first().evaluate((t) => t.textContent ?? '');
    assert.match(table, /rule x-forwarded-for/);
    assert.match(table, /X-Forwarded-For: 10\.1\.0\.4, via the proxy/);
    assert.equal(await page.locator('figure.pathfig').nth(1).locator('g.stop').getAttribute('data-stop'), 'answered');
    assert.equal(await syn(page), await synsOnWire(pcap));
    await page.close();
  });

  it('black-hole fault: the route is right, the doctor sees no answer, and every SYN is drawn dropped', async () => {
    const { page, pcap, code } = await open('black-hole');
    assert.equal(code, 1, 'doctor reports a problem');
    assert.match(await page.locator('section.verdict').innerText(), /no-answer/);
    assert.match(await page.locator('dl.facts').innerText(), /faults injected now\s+network synDropProbability=1/, 'the page names the injected fault');
    assert.equal(await page.locator('figure.pathfig').count(), 1, 'healthy has no fix to show');
    assert.equal(await page.locator('figure.pathfig g.nic.chosen').getAttribute('data-device'), 'eth0');
    assert.equal(await page.locator('figure.pathfig g.stop').getAttribute('data-stop'), 'no-answer');
    const wire = await synsOnWire(pcap);
    assert.ok(wire >= 2, `the doctor's probe retransmits (${wire})`);
    assert.equal(await syn(page), wire);
    assert.equal(await page.locator('svg.laddersvg g.ev-syn[data-unanswered="true"]').count(), wire);
    await page.close();
  });

  it('netpol-reject: the checks from the VM pass, the container\'s egress check fails, both listed under the verdict', async () => {
    const { page, code } = await open('netpol-reject');
    assert.equal(code, 1, 'doctor reports a problem');
    assert.match(await page.locator('section.verdict').innerText(), /netpol-reject/);
    const tables = page.locator('section[aria-labelledby="h-checks"] table');
    assert.equal(await tables.count(), 2, 'one table from the VM, one from its container');
    assert.match((await tables.nth(0).locator('caption').textContent()) ?? '', /^from \S+-vm \(the VM\)$/);
    assert.equal(await tables.nth(0).locator('td.fail').count(), 0, 'the VM itself is healthy');
    assert.match((await tables.nth(1).locator('caption').textContent()) ?? '', /^from \S+-ctr \(the container, 172\.17\.0\.2;/);
    const failed = await tables.nth(1).locator('tr:has(td.fail)').allInnerTexts();
    assert.ok(failed.some((row) => /egress policy lets it through[\s\S]*reject with tcp reset/.test(row)), failed.join(' | '));
    await page.close();
  });

  it('icmp-net fault: each SYN is answered by an ICMP net unreachable, drawn as an arrow back with its code', async () => {
    const { page, pcap } = await open('icmp-net');
    const r = await exec(['tcpdump', '-nr', pcap, 'icmp[icmptype] = icmp-unreach and icmp[icmpcode] = 0']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /ICMP net 169\.254\.169\.254 unreachable/, 'the capture holds the ICMP errors (tcpdump filter)');
    const arrows = page.locator('svg.laddersvg g.ev-icmp');
    assert.ok((await arrows.count()) >= 1, 'an ICMP arrow is drawn');
    assert.match((await arrows.first().locator('title').textContent()) ?? '', /^ICMP net unreachable \(code 0\) from 169\.254\.169\.254/);
    assert.match((await page.locator('table tr.ev-icmp').first().textContent()) ?? '', /ICMP → clientICMP net unreachable \(code 0\)/, 'the events table has it too');
    assert.equal(await page.locator('svg.laddersvg g.ev-syn[data-unanswered="true"]').count(), 0, 'no SYN is drawn as dropped');
    await page.close();
  });
});
