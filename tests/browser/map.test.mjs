// map.test.mjs - the watch-floor map (web/) in a real browser: Debian's
// chromium driven by playwright-core. Run by tests/e2e/map_browser.sh, which
// builds the store, starts `vigil serve` and passes:
//   VG_URL           http://127.0.0.1:PORT of the server
//   VG_TOKEN         an auditor's token (every observation readable)
//   VG_MEMBER_TOKEN  a member's token (other owners' observations withheld)
//   VG_LOGKEY        the log's verifier key (checkpoint signature)
//   VG_WORK          where screenshots and the browser profile go
//   VG_INJECT        a shell command adding a finding to the store
//   VG_NEW_FINDING   the id that finding gets
// Prints "ok - ..." / "not ok - ..." lines (the shell script counts them)
// and exits 1 if any check failed. Chromium missing is a failure.
import {execFileSync} from 'node:child_process';
import {existsSync, mkdtempSync, rmSync} from 'node:fs';
import {join} from 'node:path';

const CHROMIUM = '/usr/bin/chromium';
const env = (k) => {
	const v = process.env[k];
	if (!v) {
		console.log(`not ok - environment: ${k} is not set (run tests/e2e/map_browser.sh)`);
		process.exit(1);
	}
	return v;
};
const URL0 = env('VG_URL'), TOKEN = env('VG_TOKEN'), MEMBER = env('VG_MEMBER_TOKEN');
const LOGKEY = env('VG_LOGKEY'), WORK = env('VG_WORK'), INJECT = env('VG_INJECT');
const NEW_ID = env('VG_NEW_FINDING');
const ORIGIN = new URL(URL0).origin;

let passed = 0, failed = 0;
function check(desc, cond, detail) {
	if (cond) {
		passed++;
		console.log(`ok - ${desc}`);
	} else {
		failed++;
		console.log(`not ok - ${desc}${detail !== undefined ? `: ${detail}` : ''}`);
	}
	return cond;
}

async function apiJson(path, token = TOKEN) {
	const r = await fetch(URL0 + path, {headers: {Authorization: `Bearer ${token}`}});
	if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
	return r.json();
}

async function allFindings() {
	const j = await apiJson('/v1/findings?limit=1000');
	if (j.next) throw new Error('more than 1000 findings: page them');
	return j.findings;
}

async function poll(fn, ms = 30000, step = 200) {
	const end = Date.now() + ms;
	for (;;) {
		const v = await fn();
		if (v || Date.now() > end) return v;
		await new Promise((r) => setTimeout(r, step));
	}
}

/* Everything a page does that a person would call broken. */
function watch(page, name, allow = {}) {
	const w = {console: [], pageErrors: [], failed: [], bad: [], foreign: []};
	page.on('console', (m) => {
		if (m.type() !== 'error') return;
		const t = m.text();
		if (allow.console && allow.console(t, m)) return;
		w.console.push(t);
	});
	page.on('pageerror', (e) => w.pageErrors.push(String(e)));
	page.on('requestfailed', (r) => {
		// the alert stream is cut when the page goes away: that is not a failure
		if (w.closing && r.url().includes('/v1/alerts')) return;
		w.failed.push(`${r.url()}: ${r.failure()?.errorText}`);
	});
	page.on('request', (r) => {
		const u = new URL(r.url());
		if (u.protocol === 'data:' || u.protocol === 'blob:') return;
		if (u.origin !== ORIGIN) w.foreign.push(r.url());
	});
	page.on('response', (r) => {
		if (r.status() < 400) return;
		if (allow.status && allow.status(r)) return;
		w.bad.push(`${r.status()} ${r.url()}`);
	});
	w.report = () => {
		check(`${name}: no console errors`, w.console.length === 0, w.console.slice(0, 5).join(' | '));
		check(`${name}: no uncaught exceptions`, w.pageErrors.length === 0, w.pageErrors.slice(0, 5).join(' | '));
		check(`${name}: no failed requests`, w.failed.length === 0, w.failed.slice(0, 5).join(' | '));
		check(`${name}: no HTTP errors`, w.bad.length === 0, w.bad.slice(0, 5).join(' | '));
		check(`${name}: no request left ${ORIGIN}`, w.foreign.length === 0, w.foreign.slice(0, 5).join(' | '));
	};
	return w;
}

const count = (page, sel) => page.locator(sel).count();

/* Click a finding's marker as a person would: at a point of it that no
 * other marker covers (zooming in until there is one). */
async function clickFinding(page, id) {
	for (let zoom = 0; zoom < 8; zoom++) {
		const pt = await page.evaluate((fid) => {
			const e = document.querySelector(`path.vg-finding[data-finding="${fid}"]`);
			if (!e) return null;
			const b = e.getBoundingClientRect();
			for (const [fx, fy] of [[0.5, 0.5], [0.3, 0.5], [0.7, 0.5], [0.5, 0.3], [0.5, 0.7]]) {
				const x = b.left + b.width * fx, y = b.top + b.height * fy;
				if (document.elementFromPoint(x, y) === e) return {x, y};
			}
			return {zoomAt: {x: b.left + b.width / 2, y: b.top + b.height / 2}};
		}, id);
		if (!pt) return false;
		if (pt.x !== undefined) {
			await page.mouse.click(pt.x, pt.y);
			return true;
		}
		await page.mouse.move(pt.zoomAt.x, pt.zoomAt.y);
		await page.mouse.wheel(0, -400);
		await page.waitForTimeout(600);
	}
	return false;
}

async function waitEvidence(page, id, rows) {
	await page.waitForFunction(([fid, n]) => {
		const s = document.getElementById('evidence');
		if (s.hidden || document.getElementById('ev-id').textContent !== fid) return false;
		const st = [...document.querySelectorAll('#ev-table td.status')];
		return st.length === n && st.every((c) => !c.classList.contains('pending'));
	}, [id, rows], {timeout: 60000});
	return page.evaluate(() => [...document.querySelectorAll('#ev-table tbody tr')].map((tr) => ({
		idx: Number(tr.dataset.logIndex),
		sensor: tr.cells[1].textContent,
		status: tr.cells[4].textContent,
	})));
}

async function main() {
	if (!check(`chromium is installed at ${CHROMIUM} (scripts/deps.sh installs Debian's chromium)`,
	           existsSync(CHROMIUM)))
		return;
	const {chromium} = await import('playwright-core');
	const profile = mkdtempSync(join(WORK, 'chromium-profile-'));
	const ctx = await chromium.launchPersistentContext(profile, {
		executablePath: CHROMIUM,
		headless: true,
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
		       '--disable-background-networking', '--disable-component-update', '--disable-sync'],
		viewport: {width: 1400, height: 900},
	});
	try {
		await auditorPage(ctx);
		await memberPage(ctx);
	} finally {
		await ctx.close();
		rmSync(profile, {recursive: true, force: true});
	}
}

async function auditorPage(ctx) {
	const page = await ctx.newPage();
	const w = watch(page, 'auditor page', {
		// the tampering checks below answer with altered bodies, not errors
	});
	const findings = await allFindings();
	const events = (await apiJson('/v1/events?limit=1000')).events;
	const ag = await apiJson('/v1/agreement');

	await page.goto(`${URL0}/#token=${TOKEN}&logkey=${encodeURIComponent(LOGKEY)}`);
	const ready = await page.waitForSelector('body[data-ready="true"]', {timeout: 60000}).then(() => true, () => false);
	check('the page loads its data (body[data-ready])', ready);
	check('the token is gone from the address bar', !page.url().includes('token='), page.url());
	check('the token is kept for the tab only (sessionStorage)',
	      await page.evaluate(() => sessionStorage.getItem('vigil.token')) === TOKEN);

	const countries = await count(page, 'path.vg-country');
	check(`the basemap is drawn from Natural Earth (${countries} country paths)`, countries > 50);
	const sides = ag.features.filter((f) => f.properties.role === 'side').length;
	const zones = ag.features.filter((f) => f.properties.role === 'zone').length;
	const lines = ag.features.filter((f) => f.properties.role === 'contact_line').length;
	check(`the agreement's ${sides} sides are drawn`, await count(page, 'path.vg-ag-side') === sides);
	check(`its ${zones} zones are drawn`, await count(page, 'path.vg-ag-zone') === zones);
	check(`its contact line is drawn (${lines})`, lines > 0 && await count(page, 'path.vg-ag-contact-line') === lines);
	check(`the agreement is named in the bar`,
	      (await page.textContent('#agreement-name')).includes(ag.agreement.name));

	const fmarks = await page.$$eval('path.vg-finding', (es) => es.map((e) => e.dataset.finding).sort());
	check(`as many findings on the map as GET /v1/findings has (${findings.length})`,
	      fmarks.length === findings.length, `${fmarks.length} on the map`);
	check('... the same ids', JSON.stringify(fmarks) === JSON.stringify(findings.map((f) => f.id).sort()));
	const ells = await count(page, 'path.vg-finding-ellipse');
	check(`each finding has its 90 % ellipse (${ells})`, ells === findings.filter((f) => f.cov_m2).length);
	const parties = new Set(findings.map((f) => f.party));
	for (const p of parties)
		check(`findings of party ${p} are styled as such`,
		      await count(page, `path.vg-finding.vg-party-${p}`) === findings.filter((f) => f.party === p).length);
	for (const g of ['confirmed', 'probable', 'possible'])
		check(`findings graded ${g} are styled as such`,
		      await count(page, `path.vg-finding.vg-grade-${g}`) === findings.filter((f) => f.grade === g).length);
	check(`as many events as GET /v1/events has (${events.length})`,
	      await count(page, 'path.vg-event') === events.length);
	check(`the header counts them`, (await page.textContent('#count-findings')) === `findings: ${findings.length}`);
	const live = await poll(async () => (await page.textContent('#stream')) === 'alerts: live', 15000);
	check('the alert stream is connected', live, await page.textContent('#stream'));

	// the time window: the first finding's span only, then the whole period
	const first = findings.slice().sort((a, b) => a.from.localeCompare(b.from))[0];
	const overlapping = findings.filter((f) => f.from <= first.until).length;
	await page.evaluate(() => {
		const u = document.getElementById('t-until');
		u.value = '0';
		u.dispatchEvent(new Event('input'));
	});
	const narrowed = await count(page, 'path.vg-finding');
	check(`the time window at its start shows only the findings then (${narrowed} of ${findings.length})`,
	      narrowed >= 1 && narrowed <= overlapping && narrowed < findings.length,
	      `${narrowed}, at most ${overlapping}`);
	const evNarrow = await count(page, 'path.vg-event');
	check(`... and fewer events (${evNarrow} of ${events.length})`, events.length === 0 || evNarrow < events.length);
	await page.click('#t-reset');
	check('"whole period" shows them all again', await count(page, 'path.vg-finding') === findings.length);
	await page.screenshot({path: join(WORK, 'map.png')});

	// a click on a finding: its evidence, each inclusion proof verified here
	const withEv = findings.filter((f) => f.evidence.length > 0);
	check('some finding rests on logged evidence', withEv.length > 0);
	if (withEv.length) {
		const f = withEv[0];
		const rows = Math.min(f.evidence.length, 20);
		check(`clicking finding ${f.id} on the map`, await clickFinding(page, f.id));
		const got = await waitEvidence(page, f.id, rows).catch((e) => (check('evidence loads', false, e.message), []));
		check(`its evidence lists ${rows} of its ${f.evidence.length} log indices, in order`,
		      JSON.stringify(got.map((r) => r.idx)) === JSON.stringify(f.evidence.slice(0, rows)));
		const ver = got.filter((r) => r.status === 'verified').length;
		check(`every inclusion proof verified against the checkpoint (${ver}/${rows})`, ver === rows && rows > 0,
		      got.filter((r) => r.status !== 'verified').map((r) => `${r.idx}: ${r.status}`).join('; '));
		check('each row names its sensor', got.every((r) => /^[a-z0-9-]+$/.test(r.sensor)));
		const cp = await page.textContent('#ev-checkpoint');
		check('the checkpoint signature verified with the log key', cp.includes('signature verified'), cp);
		await page.screenshot({path: join(WORK, 'evidence.png')});

		// the page must be able to fail: a tampered proof, then a tampered entry
		const i1 = f.evidence[1] ?? f.evidence[0], i0 = f.evidence[0];
		await page.route(`**/v1/log/proof/inclusion?index=${i1}&*`, async (route) => {
			const r = await route.fetch();
			const j = await r.json();
			const h = Buffer.from(j.proof[0], 'base64');
			h[0] ^= 1;
			j.proof[0] = h.toString('base64');
			await route.fulfill({response: r, json: j});
		});
		await page.route(`**/v1/observations?log_index=${i0}`, async (route) => {
			const r = await route.fetch();
			const body = (await r.text()).replace(/"payload":"(.)/, (m, c) => `"payload":"${c === 'A' ? 'B' : 'A'}`);
			await route.fulfill({response: r, body});
		});
		await page.click('#ev-close');
		check(`reopening ${f.id}`, await clickFinding(page, f.id));
		const bad = await waitEvidence(page, f.id, rows).catch(() => []);
		const s0 = bad.find((r) => r.idx === i0)?.status || '', s1 = bad.find((r) => r.idx === i1)?.status || '';
		check(`a tampered entry fails (${i0}: ${s0})`, /^FAILED/.test(s0));
		if (i1 !== i0) check(`a tampered proof fails (${i1}: ${s1})`, /^FAILED: inclusion/.test(s1));
		check('the others still verify', bad.filter((r) => r.idx !== i0 && r.idx !== i1)
			.every((r) => r.status === 'verified'));
		await page.unrouteAll({behavior: 'wait'});
		await page.click('#ev-close');
	}

	// the page's own verifier over the log's right edge (where a proof
	// climbs past fn == sn) and spread over the log, against the checkpoint
	const edge = await page.evaluate(async () => {
		const m = await import('/static/app.js');
		const auth = {headers: {Authorization: `Bearer ${sessionStorage.getItem('vigil.token')}`}};
		const cp = m.parseCheckpoint(await (await fetch('/v1/log/checkpoint', auth)).text());
		const idx = new Set();
		for (let i = 1; i <= 40 && i <= cp.size; i++) idx.add(cp.size - i);
		for (let i = 0; i < cp.size; i += Math.max(1, Math.floor(cp.size / 37))) idx.add(i);
		const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
		const eq = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
		let good = 0, bad = [];
		for (const i of idx) {
			const pr = await (await fetch(`/v1/log/proof/inclusion?index=${i}&size=${cp.size}`, auth)).json();
			try {
				const root = await m.rootFromInclusion(i, cp.size, b64(pr.leafHash), pr.proof.map(b64));
				if (eq(root, cp.root)) good++;
				else bad.push(i);
			} catch (e) {
				bad.push(`${i} (${e.message})`);
			}
			// one wrong hash anywhere must break it
			if (pr.proof.length) {
				const p2 = pr.proof.map(b64);
				p2[p2.length - 1][31] ^= 0x80;
				const r2 = await m.rootFromInclusion(i, cp.size, b64(pr.leafHash), p2).catch(() => null);
				if (r2 && eq(r2, cp.root)) bad.push(`${i} (tampered)`);
			}
		}
		let wrongKey;
		try {
			await m.checkSignature(cp, cp.origin + '+00000000+' + btoa(String.fromCharCode(1, ...new Uint8Array(32))));
			wrongKey = 'accepted';
		} catch (e) {
			wrongKey = e.message;
		}
		return {n: idx.size, good, bad, size: cp.size, wrongKey};
	});
	check(`the page's RFC 9162 verifier: ${edge.good}/${edge.n} proofs of a tree of ${edge.size}` +
	      ' (the last 40 entries and a spread) lead to the checkpoint root; tampered ones do not',
	      edge.good === edge.n && edge.bad.length === 0, edge.bad.join(' '));
	check('a checkpoint is refused under another key', /no signature by the log key/.test(edge.wrongKey), edge.wrongKey);
	const sse = await page.evaluate(async () => {
		const m = await import('/static/app.js');
		const got = [];
		const p = new m.SseParser((e) => got.push(e));
		const text = 'retry: 2000\r\n: comment\r\nid: 7\r\nevent: finding\r\ndata: {"a":1}\r\n\r\n' +
			'data: x\ndata: y\n\nid: 9\revent: batch\rdata: z\r\r';
		for (let i = 0; i < text.length; i += 3) p.push(text.slice(i, i + 3));
		return {got, retry: p.retry, last: p.lastId};
	});
	check('the page\'s event-stream parser (CRLF, CR, LF, split anywhere, comments, multi-line data, retry)',
	      JSON.stringify(sse.got) === JSON.stringify([
		      {type: 'finding', data: '{"a":1}', id: '7'}, {type: 'message', data: 'x\ny', id: '7'},
		      {type: 'batch', data: 'z', id: '9'}]) && sse.retry === 2000 && sse.last === '9',
	      JSON.stringify(sse));

	// live: a finding adjudicated while the page is open
	const before = await count(page, '#alert-list li.alert-finding');
	try {
		execFileSync('sh', ['-c', INJECT], {stdio: ['ignore', 'ignore', 'pipe']});
		check('a new finding is adjudicated while the page is open', true);
	} catch (e) {
		check('a new finding is adjudicated while the page is open', false, String(e.stderr || e.message));
	}
	const after = await allFindings();
	check(`the API has it (${NEW_ID})`, after.some((f) => f.id === NEW_ID), after.map((f) => f.id).join(' '));
	const onMap = await poll(async () => await count(page, `path.vg-finding[data-finding="${NEW_ID}"]`) === 1, 30000);
	check(`${NEW_ID} appears on the map`, onMap);
	const inList = await poll(async () =>
		await count(page, `#alert-list li.alert-finding[data-finding="${NEW_ID}"]`) === 1, 5000);
	check(`${NEW_ID} appears in the alert list (a "finding" frame of /v1/alerts)`, inList,
	      `${await count(page, '#alert-list li.alert-finding')} finding alerts (before: ${before})`);
	if (inList) {
		check('... on top', await page.evaluate((id) =>
			document.querySelector('#alert-list li.alert-finding')?.dataset.finding === id, NEW_ID));
		// the earlier findings kept their ids and records: none published again
		await new Promise((r) => setTimeout(r, 1000));
		const n = await count(page, '#alert-list li.alert-finding');
		check(`... the only new finding alert (${n}, before ${before})`, n === before + 1);
	}
	const n2 = await poll(async () => await count(page, 'path.vg-finding') === after.length, 10000);
	check(`the map again has as many findings as the API (${after.length})`, n2);
	if (inList) {
		await page.click(`#alert-list li.alert-finding[data-finding="${NEW_ID}"]`);
		const opened = await poll(async () => !(await page.locator('#evidence').isHidden()) &&
			(await page.textContent('#ev-id')) === NEW_ID, 5000);
		check(`clicking its alert opens ${NEW_ID}`, opened);
		const box = await page.locator(`path.vg-finding[data-finding="${NEW_ID}"]`).boundingBox();
		const vp = page.viewportSize();
		check('... and brings it into view', box && box.x > 0 && box.y > 0 && box.x < vp.width && box.y < vp.height,
		      JSON.stringify(box));
	}
	await page.screenshot({path: join(WORK, 'map-live.png')});
	w.closing = true;
	w.report();
	await page.close();
}

/* A member sees only what is releasable to it: other owners' evidence is
 * shown as withheld (the API answers 403 for those, which is expected). */
async function memberPage(ctx) {
	const page = await ctx.newPage();
	const withheldUrl = (u) => /\/v1\/observations\?log_index=\d+$/.test(u);
	const w = watch(page, 'member page', {
		status: (r) => r.status() === 403 && withheldUrl(r.url()),
		console: (t, m) => /status of 403/.test(t) && withheldUrl(m.location()?.url || ''),
	});
	await page.goto(`${URL0}/#token=${MEMBER}`);
	check('member page loads', await page.waitForSelector('body[data-ready="true"]', {timeout: 60000})
		.then(() => true, () => false));
	const findings = await allFindings();
	const sensors = (await apiJson('/v1/sensors')).sensors;
	const owner = Object.fromEntries(sensors.map((s) => [s.id, s.owner]));
	const f = findings.filter((x) => x.evidence.length > 0)[0];
	if (f) {
		const rows = Math.min(f.evidence.length, 20);
		check(`member: clicking ${f.id}`, await clickFinding(page, f.id));
		const got = await waitEvidence(page, f.id, rows).catch(() => []);
		const withheld = got.filter((r) => r.status.startsWith('withheld')).length;
		const verified = got.filter((r) => r.status === 'verified');
		check(`member: every row is verified or withheld (${verified.length} + ${withheld} of ${rows})`,
		      got.length === rows && verified.length + withheld === rows);
		check('member: what it verified is its own sensors\' (NOR)',
		      verified.every((r) => owner[r.sensor] === 'NOR'));
		const cp = await page.textContent('#ev-checkpoint');
		check('member: without #logkey the signature is said to be unchecked', cp.includes('not checked'), cp);
		await page.screenshot({path: join(WORK, 'member.png')});
	}
	w.closing = true;
	w.report();
	await page.close();
}

try {
	await main();
} catch (e) {
	check('the browser test ran to its end', false, e.stack || String(e));
}
console.log(`screenshots: ${['map', 'evidence', 'map-live', 'member'].map((n) => join(WORK, `${n}.png`)).join(' ')}`);
console.log(`browser checks: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
