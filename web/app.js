/*
 * app.js - the watch-floor map (docs/map.md). Plain ES module, no bundler;
 * Leaflet (L) and topojson-client (topojson) are loaded by index.html as
 * classic scripts from /static/node_modules/.
 *
 * What it shows, all from the server it was loaded from (nothing else is
 * contacted: no tile server, no CDN; the page's Content-Security-Policy
 * says so too):
 *  - an offline basemap: Natural Earth countries (world-atlas 1:50m
 *    TopoJSON) as a GeoJSON layer;
 *  - the agreement (GET /v1/agreement): sides filled by party, the contact
 *    line, zones (security zones, holding areas, no-fly, ...);
 *  - fused events (GET /v1/events) with their 90 % error ellipses;
 *  - findings (GET /v1/findings) coloured by the party they are attributed
 *    to and styled by grade, with their 90 % ellipses;
 *  - a time window (two sliders) filtering events and findings;
 *  - the live alert list from GET /v1/alerts (Server-Sent Events), newest
 *    on top; "finding" and "event" frames also add to the map;
 *  - a click on a finding opens its evidence: every log index it rests on,
 *    the observation stored there (GET /v1/observations?log_index=N) and
 *    its RFC 9162 inclusion proof (GET /v1/log/proof/inclusion) checked
 *    here, with SHA-256 from crypto.subtle, against the log's checkpoint;
 *    with the log's verifier key (#logkey=...) the checkpoint's Ed25519
 *    signature too.
 *
 * The token: EventSource cannot send an Authorization header, so the alert
 * stream is read with fetch() and a ReadableStream, and its frames are
 * parsed here (the WHATWG "event stream interpretation"). The token comes
 * from the URL fragment (#token=vgt_..., which browsers never send) and is
 * then removed from the address bar and kept in sessionStorage (this tab
 * only), or is typed into a prompt.
 */


const TOKEN_KEY = 'vigil.token';
const LOGKEY_KEY = 'vigil.logkey';
const PAGE = 1000;               // items per list request (the API's maximum)
const EVIDENCE_BATCH = 20;       // evidence rows verified per "more"
const EVIDENCE_PARALLEL = 4;     // requests in flight for evidence
const ALERTS_MAX = 500;          // alert list length
const CHI2_2_90 = 4.605170185988091; // chi-square, 2 dof, p = 0.90: -2 ln(0.1)
const PARTY_COLOURS = ['#2f7ed8', '#d8452f', '#8e44ad', '#16a085', '#d4a017', '#7f8c8d'];

/* ---- Small helpers ------------------------------------------------------------ */

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...kids) {
	const e = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs)) {
		if (k === 'class') e.className = v;
		else if (k === 'text') e.textContent = v;
		else e.setAttribute(k, v);
	}
	for (const k of kids) e.append(k);
	return e;
}

function fmtTime(ms) {
	if (!Number.isFinite(ms)) return '-';
	return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/* RFC 3339 with up to nanoseconds -> ms since the epoch (Date keeps ms). */
function parseTime(s) {
	if (typeof s !== 'string') return NaN;
	const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(s);
	if (!m) return NaN;
	const frac = m[2] ? m[2].slice(0, 4) : '';
	return Date.parse(m[1] + frac + m[3]);
}

function b64decode(s) {
	const bin = atob(s);
	const out = new Uint8Array(bin.length);
	for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
	return out;
}

function b64encode(bytes) {
	let s = '';
	for (const b of bytes) s += String.fromCharCode(b);
	return btoa(s);
}

function bytesEqual(a, b) {
	if (a.length !== b.length) return false;
	for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
	return true;
}

function showFatal(msg) {
	const f = $('fatal');
	f.textContent = msg;
	f.hidden = false;
}

/* ---- The token ------------------------------------------------------------------ */

/* #token=...&logkey=... : taken into sessionStorage and removed from the URL. */
function takeFragment() {
	const h = location.hash.replace(/^#/, '');
	if (!h) return;
	let took = false;
	for (const part of h.split('&')) {
		const eq = part.indexOf('=');
		if (eq < 0) continue;
		const k = part.slice(0, eq);
		let v;
		try {
			v = decodeURIComponent(part.slice(eq + 1));
		} catch {
			continue;
		}
		if (k === 'token') {
			sessionStorage.setItem(TOKEN_KEY, v.trim());
			took = true;
		} else if (k === 'logkey') {
			sessionStorage.setItem(LOGKEY_KEY, v.trim());
			took = true;
		}
	}
	if (took) history.replaceState(null, '', location.pathname + location.search);
}

function token() {
	return sessionStorage.getItem(TOKEN_KEY) || '';
}

let tokenWaiters = [];

function askToken(why) {
	const d = $('token-dialog');
	if (why) $('token-why').textContent = why;
	if (!d.open) d.showModal();
	return new Promise((resolve) => tokenWaiters.push(resolve));
}

function setupTokenDialog() {
	$('token-form').addEventListener('submit', () => {
		const v = $('token-input').value.trim();
		sessionStorage.setItem(TOKEN_KEY, v);
		$('token-input').value = '';
		const w = tokenWaiters;
		tokenWaiters = [];
		for (const r of w) r();
	});
	$('forget').addEventListener('click', () => {
		sessionStorage.removeItem(TOKEN_KEY);
		sessionStorage.removeItem(LOGKEY_KEY);
		location.reload();
	});
}

/* ---- The API --------------------------------------------------------------------- */

class ApiError extends Error {
	constructor(status, code, message) {
		super(message || code || `HTTP ${status}`);
		this.status = status;
		this.code = code;
	}
}

/* GET path with the token; retries after 429/503 (Retry-After), asks for a
 * new token after 401. Returns the Response (ok) or throws ApiError. */
async function api(path, opts = {}) {
	for (let attempt = 0; ; attempt++) {
		if (!token()) await askToken();
		const r = await fetch(path, {
			headers: {Authorization: `Bearer ${token()}`, ...(opts.headers || {})},
			cache: 'no-store',
			signal: opts.signal,
		});
		if (r.ok) return r;
		if ((r.status === 429 || r.status === 503) && attempt < 8) {
			const s = Number(r.headers.get('Retry-After')) || 1;
			await new Promise((res) => setTimeout(res, s * 1000));
			continue;
		}
		let code = '', msg = '';
		try {
			const j = await r.json();
			code = j.error || '';
			msg = j.message || '';
		} catch { /* not JSON */ }
		if (r.status === 401 && attempt < 3) {
			sessionStorage.removeItem(TOKEN_KEY);
			await askToken('The server refused the token (unknown, revoked or malformed). Another one:');
			continue;
		}
		throw new ApiError(r.status, code, msg);
	}
}

async function apiJson(path, opts) {
	return (await api(path, opts)).json();
}

/* Every page of a list: {"<name>":[...],"next":...}. A list replaced while
 * it is paged (findings, by another adjudication run: 409 re_adjudicated)
 * is read again from its start. */
async function apiAll(path, name) {
	for (let restart = 0; ; restart++) {
		const out = [];
		let after = null;
		try {
			for (;;) {
				const sep = path.includes('?') ? '&' : '?';
				const j = await apiJson(`${path}${sep}limit=${PAGE}${after ? `&after=${after}` : ''}`);
				out.push(...j[name]);
				if (!j.next) return out;
				after = j.next;
			}
		} catch (e) {
			if (!(e instanceof ApiError && e.status === 409 && e.code === 're_adjudicated') || restart >= 4)
				throw e;
		}
	}
}

/* ---- Geometry -------------------------------------------------------------------- */

/* Metres per degree of latitude and longitude at lat (WGS84, series to 1 cm). */
function metresPerDegree(latDeg) {
	const p = latDeg * Math.PI / 180;
	return {
		lat: 111132.92 - 559.82 * Math.cos(2 * p) + 1.175 * Math.cos(4 * p) - 0.0023 * Math.cos(6 * p),
		lon: 111412.84 * Math.cos(p) - 93.5 * Math.cos(3 * p) + 0.118 * Math.cos(5 * p),
	};
}

/* The 90 % ellipse of a 2-D Gaussian with covariance cov (east, north; m^2)
 * around lat/lon, as a ring of n [lat, lon] points; null if cov is unusable. */
function ellipse90(lat, lon, cov, n = 72) {
	if (!Array.isArray(cov) || cov.length !== 2) return null;
	const a = cov[0][0], b = cov[0][1], d = cov[1][1];
	if (![a, b, d].every(Number.isFinite) || a <= 0 || d <= 0 || a * d - b * b <= 0) return null;
	// eigen decomposition of [[a b][b d]]
	const tr = (a + d) / 2, disc = Math.sqrt(((a - d) / 2) ** 2 + b * b);
	const l1 = tr + disc, l2 = Math.max(tr - disc, 0);
	const th = 0.5 * Math.atan2(2 * b, a - d); // angle of the major axis from east
	const s1 = Math.sqrt(CHI2_2_90 * l1), s2 = Math.sqrt(CHI2_2_90 * l2);
	const m = metresPerDegree(lat);
	const ring = [];
	for (let i = 0; i < n; i++) {
		const t = 2 * Math.PI * i / n;
		const u = s1 * Math.cos(t), v = s2 * Math.sin(t);
		const e = u * Math.cos(th) - v * Math.sin(th), no = u * Math.sin(th) + v * Math.cos(th);
		ring.push([lat + no / m.lat, lon + e / m.lon]);
	}
	return ring;
}

/* ---- Transparency-log checks (RFC 9162, C2SP signed notes) ------------------------------ */

async function sha256(bytes) {
	return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}

async function leafHash(entry) {
	const b = new Uint8Array(entry.length + 1);
	b[0] = 0x00;
	b.set(entry, 1);
	return sha256(b);
}

async function nodeHash(l, r) {
	const b = new Uint8Array(65);
	b[0] = 0x01;
	b.set(l, 1);
	b.set(r, 33);
	return sha256(b);
}

/* RFC 9162 section 2.1.3.2: the root that an inclusion proof of leaf hash
 * at index in a tree of size gives; throws if the proof is malformed. */
async function rootFromInclusion(index, size, leaf, proof) {
	if (!(index >= 0 && index < size)) throw new Error(`index ${index} not below the tree size ${size}`);
	let fn = index, sn = size - 1, r = leaf;
	for (const p of proof) {
		if (p.length !== 32) throw new Error('a proof hash is not 32 bytes');
		if (sn === 0) throw new Error('the proof is too long');
		if (fn % 2 === 1 || fn === sn) {
			r = await nodeHash(p, r);
			if (fn % 2 === 0)
				while (fn % 2 === 0 && fn !== 0) {
					fn = Math.floor(fn / 2);
					sn = Math.floor(sn / 2);
				}
		} else {
			r = await nodeHash(r, p);
		}
		fn = Math.floor(fn / 2);
		sn = Math.floor(sn / 2);
	}
	if (sn !== 0) throw new Error('the proof is too short');
	return r;
}

/* A checkpoint (C2SP tlog-checkpoint in a signed note): origin, size, root. */
function parseCheckpoint(text) {
	const cut = text.indexOf('\n\n');
	if (cut < 0) throw new Error('checkpoint: no signature block');
	const body = text.slice(0, cut + 1);
	const lines = body.split('\n');
	const origin = lines[0];
	if (!origin || !/^(0|[1-9]\d*)$/.test(lines[1] || '')) throw new Error('checkpoint: bad size line');
	const size = Number(lines[1]);
	let root;
	try {
		root = b64decode(lines[2] || '');
	} catch {
		throw new Error('checkpoint: root is not base64');
	}
	if (root.length !== 32) throw new Error('checkpoint: root is not 32 bytes');
	const sigs = [];
	for (const l of text.slice(cut + 2).split('\n')) {
		const m = /^\u2014 (\S+) (\S+)$/.exec(l);
		if (m) sigs.push({name: m[1], b64: m[2]});
	}
	return {text, body, origin, size, root, sigs};
}

/* Verify the checkpoint's signature with a verifier key "name+hexid+b64"
 * (type 0x01, Ed25519). Returns a sentence; throws on a bad signature. */
async function checkSignature(cp, vkey) {
	const m = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(vkey);
	if (!m) throw new Error('the log key given (#logkey=) is not a verifier key name+id+key');
	const [, name, hexid, b64] = m;
	const kb = b64decode(b64);
	if (kb.length !== 33 || kb[0] !== 0x01) throw new Error('the log key is not an Ed25519 verifier key');
	if (name !== cp.origin) throw new Error(`the log key is for ${name}, the checkpoint is ${cp.origin}`);
	const id = hexid.match(/../g).map((h) => parseInt(h, 16));
	const sig = cp.sigs.map((s) => {
		try {
			return {name: s.name, raw: b64decode(s.b64)};
		} catch {
			return {name: s.name, raw: new Uint8Array(0)};
		}
	}).find((s) => s.name === name && s.raw.length === 68 && bytesEqual(s.raw.slice(0, 4), id));
	if (!sig) throw new Error('no signature by the log key on the checkpoint');
	let key;
	try {
		key = await crypto.subtle.importKey('raw', kb.slice(1), {name: 'Ed25519'}, false, ['verify']);
	} catch {
		return 'signature not checked: this browser has no Ed25519';
	}
	const ok = await crypto.subtle.verify({name: 'Ed25519'}, key, sig.raw.slice(4),
	                                      new TextEncoder().encode(cp.body));
	if (!ok) throw new Error('the checkpoint signature does not verify with the log key');
	return `signature verified (${name}+${hexid})`;
}

/* The exact bytes of the "envelope" member of one observation as served
 * (api_read.c writes it last, as received: {"id":...,"envelope":ENTRY}\n).
 * These are the log entry's bytes. */
function envelopeBytes(body) {
	const pat = new TextEncoder().encode(',"envelope":');
	let start = -1;
	outer: for (let i = 0; i + pat.length <= body.length; i++) {
		for (let k = 0; k < pat.length; k++) if (body[i + k] !== pat[k]) continue outer;
		start = i + pat.length;
		break;
	}
	let end = body.length;
	while (end > 0 && (body[end - 1] === 0x0a || body[end - 1] === 0x20)) end--;
	if (start < 0 || body[end - 1] !== 0x7d) throw new Error('the observation has no envelope');
	return body.slice(start, end - 1);
}

/* ---- The map ----------------------------------------------------------------------- */

const state = {
	map: null,
	parties: [],
	findings: new Map(),   // id -> {rec, t0, t1, layer, ellipse}
	events: new Map(),     // id -> {rec, t, layer, ellipse}
	layers: {},
	tmin: Infinity,
	tmax: -Infinity,
	win: [-Infinity, Infinity],
	checkpoint: null,
	selected: null,
	reloadTimer: {},
};

function partyColour(p) {
	const i = state.parties.indexOf(p);
	if (i >= 0) return PARTY_COLOURS[i % PARTY_COLOURS.length];
	return '#9aa0a6';
}

function initMap() {
	const map = L.map('map', {preferCanvas: false, worldCopyJump: true, zoomSnap: 0.25,
	                          attributionControl: true});
	map.attributionControl.setPrefix(false);
	map.attributionControl.addAttribution('Natural Earth (world-atlas) | Leaflet');
	map.setView([48, 37.8], 6);
	L.control.scale({imperial: false}).addTo(map);
	// panes: basemap below the agreement below events below findings
	for (const [name, z] of [['base', 200], ['agreement', 350], ['events', 420], ['findings', 440]])
		map.createPane(name).style.zIndex = z;
	state.map = map;
	state.layers.base = L.layerGroup([], {pane: 'base'}).addTo(map);
	state.layers.agreement = L.layerGroup().addTo(map);
	state.layers.sensors = L.layerGroup().addTo(map);
	state.layers.events = L.layerGroup().addTo(map);
	state.layers.findings = L.layerGroup().addTo(map);
	L.control.layers(null, {
		'Countries (Natural Earth)': state.layers.base,
		'Agreement': state.layers.agreement,
		'Sensors': state.layers.sensors,
		'Events (90 % ellipses)': state.layers.events,
		'Findings': state.layers.findings,
	}, {collapsed: false, position: 'topright'}).addTo(map);
}

async function loadBasemap() {
	const r = await fetch('/static/node_modules/world-atlas/countries-50m.json');
	if (!r.ok) throw new Error(`basemap: HTTP ${r.status}`);
	const topo = await r.json();
	const gj = topojson.feature(topo, topo.objects.countries);
	L.geoJSON(gj, {
		pane: 'base',
		interactive: false,
		style: () => ({className: 'vg-country', color: '#5b6570', weight: 0.8, fillColor: '#2a3139',
		               fillOpacity: 1}),
	}).addTo(state.layers.base);
}

const ZONE_STYLE = {
	security_zone: {color: '#e6b800', dashArray: '8 6', fillOpacity: 0.08},
	holding_area: {color: '#2ecc71', dashArray: '4 4', fillOpacity: 0.12},
	no_fly: {color: '#e67e22', dashArray: '2 6', fillOpacity: 0.08},
	disengagement_area: {color: '#c0392b', dashArray: '10 4', fillOpacity: 0.1},
};

async function loadAgreement() {
	let ag;
	try {
		ag = await apiJson('/v1/agreement');
	} catch (e) {
		if (e.status === 404) {
			$('agreement-name').textContent = 'no agreement (start vigil serve with --agreement FILE)';
			return null;
		}
		throw e;
	}
	const meta = ag.agreement || {};
	state.parties = Array.isArray(meta.parties) ? meta.parties : [];
	$('agreement-name').textContent = `${meta.name || 'agreement'}${meta.version ? ` v${meta.version}` : ''}`;
	const order = {side: 0, zone: 1, contact_line: 2};
	const feats = (ag.features || []).slice().sort((a, b) =>
		(order[a.properties?.role] ?? 3) - (order[b.properties?.role] ?? 3));
	const layer = L.geoJSON({type: 'FeatureCollection', features: feats}, {
		pane: 'agreement',
		style: (f) => {
			const p = f.properties || {};
			if (p.role === 'contact_line')
				return {className: 'vg-ag vg-ag-contact-line', color: '#ff3b30', weight: 3.5};
			if (p.role === 'side')
				return {className: `vg-ag vg-ag-side vg-side-${p.party}`, color: partyColour(p.party),
				        weight: 1, opacity: 0.6, fillColor: partyColour(p.party), fillOpacity: 0.13};
			const z = ZONE_STYLE[p.zone] || {color: '#bdc3c7', dashArray: '3 3', fillOpacity: 0.06};
			return {className: `vg-ag vg-ag-zone vg-zone-${p.zone || 'other'}`, weight: 2, fillColor: z.color, ...z};
		},
		onEachFeature: (f, l) => {
			const p = f.properties || {};
			const what = p.role === 'side' ? `side of ${p.party}` : p.role === 'zone'
				? `${(p.zone || 'zone').replace(/_/g, ' ')}${p.party ? ` (${p.party})` : ''}`
				: p.role === 'contact_line' ? 'contact line' : (p.role || 'feature');
			l.bindTooltip(what, {sticky: true});
		},
	});
	layer.addTo(state.layers.agreement);
	const b = layer.getBounds();
	if (b.isValid()) state.map.fitBounds(b, {padding: [20, 20]});
	const leg = $('legend-parties');
	leg.textContent = '';
	for (const p of state.parties)
		leg.append(el('span', {class: 'party'}, el('span', {class: 'swatch', style: `background:${partyColour(p)}`}),
		              `party ${p}`));
	leg.append(el('span', {class: 'party'}, el('span', {class: 'swatch line'}), 'contact line'));
	return ag;
}

async function loadSensors() {
	const j = await apiJson('/v1/sensors');
	state.layers.sensors.clearLayers();
	for (const s of j.sensors) {
		const pos = s.registry && s.registry.pos;
		if (!pos || !Number.isFinite(pos.lat) || !Number.isFinite(pos.lon)) continue;
		L.marker([pos.lat, pos.lon], {
			icon: L.divIcon({className: `vg-sensor${s.revoked_at ? ' revoked' : ''}`, html: '&#9651;',
			                 iconSize: [12, 12]}),
			keyboard: false,
		}).bindTooltip(`${s.id} (${s.owner}, ${s.registry.modality || ''})${s.revoked_at ? ' revoked' : ''}`)
			.addTo(state.layers.sensors);
	}
}

/* ---- Events and findings ------------------------------------------------------------ */

function widen(t0, t1) {
	const live = $('t-live').checked;
	const oldMax = state.tmax;
	if (Number.isFinite(t0)) state.tmin = Math.min(state.tmin, t0);
	if (Number.isFinite(t1)) state.tmax = Math.max(state.tmax, t1);
	if (live && state.tmax !== oldMax) state.win[1] = Infinity;
}

function upsertEvent(rec) {
	if (!rec || typeof rec.id !== 'string' || !Number.isFinite(rec.lat) || !Number.isFinite(rec.lon)) return false;
	const key = JSON.stringify(rec);
	const old = state.events.get(rec.id);
	if (old && old.key === key) return false;
	if (old) removeItem(state.events, rec.id);
	const t = parseTime(rec.time);
	const layer = L.circleMarker([rec.lat, rec.lon], {
		pane: 'events', radius: 4, className: `vg-event vg-event-${rec.type}`,
		color: '#f5f5f5', weight: 1, fillColor: rec.type === 'impact' ? '#ff9f43' : '#feca57', fillOpacity: 0.9,
	}).bindTooltip(`${rec.id} ${rec.type}${rec.class ? ` (${rec.class})` : ''}<br>${fmtTime(t)}` +
	               `${rec.cep90_m ? `<br>CEP90 ${Math.round(rec.cep90_m)} m` : ''}`);
	const ring = ellipse90(rec.lat, rec.lon, rec.cov_m2);
	const ell = ring ? L.polygon(ring, {pane: 'events', interactive: false, className: 'vg-event-ellipse',
	                                    color: '#feca57', weight: 1, fillOpacity: 0.08}) : null;
	state.events.set(rec.id, {rec, key, t, layer, ellipse: ell});
	widen(t, t);
	return true;
}

function gradeStyle(grade, colour) {
	switch (grade) {
	case 'confirmed': return {color: '#ffffff', weight: 2, fillColor: colour, fillOpacity: 0.95, radius: 8};
	case 'probable': return {color: colour, weight: 3, fillColor: colour, fillOpacity: 0.45, radius: 7};
	default: return {color: colour, weight: 2, dashArray: '3 3', fillColor: colour, fillOpacity: 0.05, radius: 7};
	}
}

function upsertFinding(rec) {
	if (!rec || typeof rec.id !== 'string' || !Number.isFinite(rec.lat) || !Number.isFinite(rec.lon)) return false;
	const key = JSON.stringify(rec);
	const old = state.findings.get(rec.id);
	if (old && old.key === key) return false;
	if (old) removeItem(state.findings, rec.id);
	const colour = partyColour(rec.party);
	const grade = ['confirmed', 'probable', 'possible'].includes(rec.grade) ? rec.grade : 'possible';
	const layer = L.circleMarker([rec.lat, rec.lon], {
		pane: 'findings', bubblingMouseEvents: false,
		className: `vg-finding vg-party-${rec.party || 'none'} vg-grade-${grade}`,
		...gradeStyle(grade, colour),
	});
	layer.bindTooltip(`${rec.id} ${rec.rule} - party ${rec.party ?? '?'} - ${grade}<br>` +
	                  `${fmtTime(parseTime(rec.from))} .. ${fmtTime(parseTime(rec.until))}`);
	layer.on('add', () => {
		const e = layer.getElement();
		if (e) e.setAttribute('data-finding', rec.id);
	});
	layer.on('click', () => openEvidence(rec.id));
	const ring = ellipse90(rec.lat, rec.lon, rec.cov_m2);
	const ell = ring ? L.polygon(ring, {pane: 'findings', interactive: false,
	                                    className: `vg-finding-ellipse vg-grade-${grade}`, color: colour,
	                                    weight: 1.5, dashArray: grade === 'possible' ? '3 3' : null,
	                                    fillColor: colour, fillOpacity: 0.1}) : null;
	const t0 = parseTime(rec.from), t1 = parseTime(rec.until);
	state.findings.set(rec.id, {rec, key, t0, t1, layer, ellipse: ell});
	widen(t0, t1);
	return true;
}

function removeItem(coll, id) {
	const it = coll.get(id);
	if (!it) return;
	it.layer.remove();
	if (it.ellipse) it.ellipse.remove();
	coll.delete(id);
}

/* Replace a collection by a fresh list: drop what is gone, add what is new. */
function sync(coll, recs, upsert) {
	const ids = new Set(recs.map((r) => r.id));
	for (const id of [...coll.keys()]) if (!ids.has(id)) removeItem(coll, id);
	for (const r of recs) upsert(r);
}

async function loadEvents() {
	sync(state.events, await apiAll('/v1/events', 'events'), upsertEvent);
}

async function loadFindings() {
	sync(state.findings, await apiAll('/v1/findings', 'findings'), upsertFinding);
}

/* A full reload shortly after live frames (adjudication replaces the whole
 * set of findings; fusion the events): the map then equals the API. */
function scheduleReload(what) {
	clearTimeout(state.reloadTimer[what]);
	state.reloadTimer[what] = setTimeout(async () => {
		try {
			await (what === 'findings' ? loadFindings() : loadEvents());
			render();
		} catch (e) {
			addAlert('error', `reloading ${what}: ${e.message}`);
		}
	}, 400);
}

/* ---- The time window ------------------------------------------------------------------ */

function sliderToTime(v) {
	if (!Number.isFinite(state.tmin)) return NaN;
	const span = Math.max(state.tmax - state.tmin, 1);
	return state.tmin + span * v / 1000;
}

function timeToSlider(t) {
	if (!Number.isFinite(state.tmin)) return 0;
	const span = Math.max(state.tmax - state.tmin, 1);
	return Math.round(Math.min(Math.max((t - state.tmin) / span, 0), 1) * 1000);
}

function setupTime() {
	const from = $('t-from'), until = $('t-until');
	const onInput = (which) => {
		let a = Number(from.value), b = Number(until.value);
		if (a > b) {
			if (which === 'from') until.value = b = a;
			else from.value = a = b;
		}
		state.win = [a <= 0 ? -Infinity : sliderToTime(a), b >= 1000 ? Infinity : sliderToTime(b)];
		if (b < 1000) $('t-live').checked = false;
		render();
	};
	from.addEventListener('input', () => onInput('from'));
	until.addEventListener('input', () => onInput('until'));
	$('t-reset').addEventListener('click', () => {
		state.win = [-Infinity, Infinity];
		$('t-live').checked = true;
		render();
	});
	$('t-live').addEventListener('change', () => {
		if ($('t-live').checked) state.win[1] = Infinity;
		render();
	});
}

function render() {
	const [w0, w1] = state.win;
	let nf = 0, ne = 0;
	for (const it of state.findings.values()) {
		const on = !(it.t1 < w0 || it.t0 > w1);
		show(state.layers.findings, it, on);
		nf += on;
	}
	for (const it of state.events.values()) {
		const on = !(it.t < w0 || it.t > w1);
		show(state.layers.events, it, on);
		ne += on;
	}
	$('t-from').value = w0 === -Infinity ? 0 : timeToSlider(w0);
	$('t-until').value = w1 === Infinity ? 1000 : timeToSlider(w1);
	$('t-from-label').textContent = fmtTime(w0 === -Infinity ? state.tmin : w0);
	$('t-until-label').textContent = fmtTime(w1 === Infinity ? state.tmax : w1);
	$('count-findings').textContent = `findings: ${state.findings.size}`;
	$('count-events').textContent = `events: ${state.events.size}`;
	$('shown').textContent = `shown: ${nf} of ${state.findings.size} findings, ${ne} of ${state.events.size} events`;
}

function show(group, it, on) {
	for (const l of [it.ellipse, it.layer]) {
		if (!l) continue;
		if (on && !group.hasLayer(l)) group.addLayer(l);
		else if (!on && group.hasLayer(l)) group.removeLayer(l);
	}
}

/* ---- Alerts (Server-Sent Events over fetch) ------------------------------------------- */

/* The WHATWG event-stream interpretation, fed with decoded text chunks. */
class SseParser {
	constructor(onEvent) {
		this.onEvent = onEvent;
		this.buf = '';
		this.data = [];
		this.type = '';
		this.lastId = '';
		this.retry = null;
		this.sawCR = false;
	}

	push(chunk) {
		let s = this.buf + chunk;
		if (this.sawCR && s.startsWith('\n')) s = s.slice(1); // CRLF split across chunks
		this.sawCR = false;
		let start = 0;
		for (let i = 0; i < s.length; i++) {
			const ch = s[i];
			if (ch !== '\n' && ch !== '\r') continue;
			this.line(s.slice(start, i));
			if (ch === '\r') {
				if (i + 1 < s.length) {
					if (s[i + 1] === '\n') i++;
				} else {
					this.sawCR = true;
				}
			}
			start = i + 1;
		}
		this.buf = s.slice(start);
	}

	line(l) {
		if (l === '') {
			if (this.data.length) this.onEvent({type: this.type || 'message', data: this.data.join('\n'),
			                                    id: this.lastId});
			this.data = [];
			this.type = '';
			return;
		}
		if (l[0] === ':') return;
		const c = l.indexOf(':');
		const field = c < 0 ? l : l.slice(0, c);
		let value = c < 0 ? '' : l.slice(c + 1);
		if (value[0] === ' ') value = value.slice(1);
		if (field === 'data') this.data.push(value);
		else if (field === 'event') this.type = value;
		else if (field === 'id') {
			if (!value.includes('\0')) this.lastId = value;
		} else if (field === 'retry' && /^\d+$/.test(value)) this.retry = Number(value);
	}
}

function setStream(cls, text) {
	const s = $('stream');
	s.className = `stream ${cls}`;
	s.textContent = text;
}

async function streamAlerts() {
	let lastId = '', delay = 2000;
	const ctl = new AbortController();
	addEventListener('pagehide', () => ctl.abort());
	for (;;) {
		try {
			const headers = {Accept: 'text/event-stream'};
			if (lastId) headers['Last-Event-ID'] = lastId;
			const r = await api('/v1/alerts', {headers, signal: ctl.signal});
			setStream('on', 'alerts: live');
			const parser = new SseParser(onAlert);
			const rd = r.body.pipeThrough(new TextDecoderStream()).getReader();
			for (;;) {
				const {value, done} = await rd.read();
				if (done) break;
				parser.push(value);
				lastId = parser.lastId;
				if (parser.retry !== null) delay = Math.min(Math.max(parser.retry, 500), 60000);
			}
			setStream('off', 'alerts: reconnecting');
		} catch (e) {
			if (ctl.signal.aborted) return;
			setStream('off', `alerts: ${e.status ? `HTTP ${e.status}` : 'disconnected'}; retrying`);
		}
		await new Promise((res) => setTimeout(res, delay));
	}
}

function addAlert(type, text, onclick, extra = {}) {
	const list = $('alert-list');
	const li = el('li', {class: `alert alert-${type}`, ...extra},
	              el('time', {text: new Date().toISOString().slice(11, 19)}),
	              el('span', {class: 'badge', text: type}),
	              el('span', {class: 'what', text}));
	if (onclick) {
		li.classList.add('clickable');
		li.addEventListener('click', onclick);
	}
	list.prepend(li);
	$('alerts-empty').hidden = true;
	while (list.children.length > ALERTS_MAX) list.lastElementChild.remove();
	return li;
}

function onAlert(ev) {
	let d;
	try {
		d = JSON.parse(ev.data);
	} catch {
		addAlert('error', `alert ${ev.id}: data is not JSON`);
		return;
	}
	switch (ev.type) {
	case 'finding': {
		const changed = upsertFinding(d);
		addAlert('finding', `${d.id} ${d.rule} - party ${d.party ?? '?'} - ${d.grade}` +
		         ` at ${Number(d.lat).toFixed(4)}, ${Number(d.lon).toFixed(4)}`,
		         () => openEvidence(d.id, true), {'data-finding': d.id});
		if (changed) render();
		scheduleReload('findings');
		break;
	}
	case 'event': {
		const changed = upsertEvent(d);
		addAlert('event', `${d.id} ${d.type}${d.class ? ` (${d.class})` : ''} at ${fmtTime(parseTime(d.time))}`,
		         () => state.map.setView([d.lat, d.lon], Math.max(state.map.getZoom(), 12)));
		if (changed) render();
		scheduleReload('events');
		break;
	}
	case 'batch': {
		const top = $('alert-list').firstElementChild;
		const text = `${d.accepted} accepted, ${d.duplicates} duplicates, ${d.rejected} rejected; log size ${d.log_size}`;
		if (top && top.classList.contains('alert-batch') && Date.now() - Number(top.dataset.at) < 3000) {
			// coalesce a burst of batches into one line
			const n = Number(top.dataset.n) + 1;
			top.dataset.n = n;
			top.querySelector('.what').textContent = `${n} batches; last: ${text}`;
		} else {
			const li = addAlert('batch', text);
			li.dataset.at = Date.now();
			li.dataset.n = 1;
		}
		break;
	}
	case 'lost':
		addAlert('lost', 'alerts were lost (this page fell behind): reloading events and findings');
		scheduleReload('events');
		scheduleReload('findings');
		break;
	default:
		addAlert(ev.type, ev.data.slice(0, 200));
	}
}

/* ---- Evidence ----------------------------------------------------------------------------- */

async function loadCheckpoint() {
	const text = await (await api('/v1/log/checkpoint')).text();
	const cp = parseCheckpoint(text);
	const vkey = sessionStorage.getItem(LOGKEY_KEY);
	cp.signature = vkey ? await checkSignature(cp, vkey)
		: 'signature not checked (give the log\'s verifier key as #logkey=...)';
	return cp;
}

function openEvidence(id, pan = false) {
	const it = state.findings.get(id);
	if (!it) return;
	const f = it.rec;
	const sel = state.selected = {id, next: 0, evidence: Array.isArray(f.evidence) ? f.evidence : []};
	if (pan) state.map.setView([f.lat, f.lon], Math.max(state.map.getZoom(), 11));
	for (const other of document.querySelectorAll('.vg-finding.selected')) other.classList.remove('selected');
	const e = it.layer.getElement();
	if (e) e.classList.add('selected');
	$('evidence').hidden = false;
	$('side').scrollTop = 0;
	$('ev-id').textContent = f.id;
	const dl = $('ev-summary');
	dl.textContent = '';
	const row = (k, v) => dl.append(el('dt', {text: k}), el('dd', {text: v}));
	row('rule', `${f.rule}${f.rule_id ? ` (${f.rule_id})` : ''}`);
	row('party', `${f.party ?? '?'}${Number.isFinite(f.p_party) ? ` (p = ${f.p_party})` : ''}`);
	row('grade', `${f.grade} - ${f.sensors ?? '?'} sensors, ${f.owners ?? '?'} owners, ${f.modalities ?? '?'} modalities`);
	row('time', `${fmtTime(parseTime(f.from))} .. ${fmtTime(parseTime(f.until))}`);
	row('where', `${f.lat}, ${f.lon}${Number.isFinite(f.cep90_m) ? ` - CEP90 ${f.cep90_m} m` : ''}` +
	    `${Number.isFinite(f.line_dist_m) ? ` - ${(f.line_dist_m / 1000).toFixed(2)} km from the line` : ''}`);
	if (f.class) row('class', `${f.class}${f.count ? ` x ${f.count}` : ''}`);
	if (Array.isArray(f.events) && f.events.length) row('events', f.events.join(' '));
	row('agreement', `version ${f.agreement_version ?? '?'}`);
	$('ev-count').textContent = sel.evidence.length ? `(${sel.evidence.length} log entries)`
		: '(none in the log: derived from events that name no observations)';
	$('ev-table').tBodies[0].textContent = '';
	$('ev-table').hidden = !sel.evidence.length;
	$('ev-checkpoint').textContent = 'checkpoint: loading';
	$('ev-checkpoint').className = 'checkpoint';
	loadCheckpoint().then((cp) => {
		if (state.selected !== sel) return;
		sel.cp = cp;
		state.checkpoint = cp;
		const c = $('ev-checkpoint');
		c.textContent = `checkpoint ${cp.origin}, size ${cp.size}, root ${b64encode(cp.root).slice(0, 16)}... - ${cp.signature}`;
		c.classList.add(cp.signature.startsWith('signature verified') ? 'ok' : 'unsigned');
		moreEvidence(sel);
	}, (e) => {
		if (state.selected !== sel) return;
		const c = $('ev-checkpoint');
		c.textContent = `checkpoint: FAILED - ${e.message}`;
		c.classList.add('bad');
	});
}

async function moreEvidence(sel) {
	const batch = sel.evidence.slice(sel.next, sel.next + EVIDENCE_BATCH);
	sel.next += batch.length;
	const more = $('ev-more');
	more.hidden = true;
	const tbody = $('ev-table').tBodies[0];
	const rows = batch.map((idx) => {
		const tr = el('tr', {'data-log-index': String(idx)},
		              el('td', {text: String(idx)}), el('td'), el('td'), el('td'),
		              el('td', {class: 'status pending', text: 'checking'}));
		tbody.append(tr);
		return {idx, tr};
	});
	let k = 0;
	const worker = async () => {
		while (k < rows.length) {
			const r = rows[k++];
			await checkEvidence(sel, r.idx, r.tr);
			if (state.selected !== sel) return;
		}
	};
	await Promise.all(Array.from({length: EVIDENCE_PARALLEL}, worker));
	if (state.selected !== sel) return;
	const left = sel.evidence.length - sel.next;
	if (left > 0) {
		more.textContent = `verify ${Math.min(left, EVIDENCE_BATCH)} more (${left} left)`;
		more.hidden = false;
	}
}

async function checkEvidence(sel, idx, tr) {
	const cells = tr.cells;
	const status = cells[4];
	const fail = (msg) => {
		status.className = 'status bad';
		status.textContent = `FAILED: ${msg}`;
	};
	let body;
	try {
		const r = await api(`/v1/observations?log_index=${idx}`);
		body = new Uint8Array(await r.arrayBuffer());
	} catch (e) {
		if (e.status === 403) {
			status.className = 'status withheld';
			status.textContent = 'withheld: not releasable to this member';
			status.title = 'the API answers 403: the sensor\'s owner has not released its raw data to your member';
			return;
		}
		return fail(`observation: ${e.message}`);
	}
	let obs, entry, payload;
	try {
		obs = JSON.parse(new TextDecoder().decode(body));
		entry = envelopeBytes(body);
		const env = JSON.parse(new TextDecoder().decode(entry));
		payload = JSON.parse(new TextDecoder().decode(b64decode(env.payload)));
		if (obs.log_index !== idx) throw new Error(`served log index ${obs.log_index}`);
		if (env.signatures?.[0]?.keyid !== obs.sensor) throw new Error('envelope keyid is not the sensor');
	} catch (e) {
		return fail(`observation: ${e.message}`);
	}
	cells[1].textContent = obs.sensor;
	cells[2].textContent = obs.kind + (payload[obs.kind]?.class ? ` (${payload[obs.kind].class})` : '');
	cells[3].textContent = fmtTime(parseTime(obs.time));
	cells[3].title = obs.time;
	const cp = sel.cp;
	try {
		const pr = await apiJson(`/v1/log/proof/inclusion?index=${idx}&size=${cp.size}`);
		const leaf = await leafHash(entry);
		if (pr.leafIdx !== idx || pr.treeSize !== cp.size) throw new Error('proof for another index or size');
		if (!bytesEqual(leaf, b64decode(pr.leafHash)))
			throw new Error('the entry does not hash to the proof\'s leaf');
		const root = await rootFromInclusion(idx, cp.size, leaf, pr.proof.map(b64decode));
		if (!bytesEqual(root, cp.root)) throw new Error('the proof does not lead to the checkpoint\'s root');
	} catch (e) {
		return fail(`inclusion: ${e.message}`);
	}
	status.className = 'status ok';
	status.textContent = 'verified';
	status.title = `SHA-256(0x00 || entry) is leaf ${idx} of the tree of size ${cp.size} whose root the checkpoint states`;
}

function setupEvidence() {
	$('ev-close').addEventListener('click', () => {
		state.selected = null;
		$('evidence').hidden = true;
		for (const e of document.querySelectorAll('.vg-finding.selected')) e.classList.remove('selected');
	});
	$('ev-more').addEventListener('click', () => {
		if (state.selected && state.selected.cp) moreEvidence(state.selected);
	});
}

/* ---- Start ---------------------------------------------------------------------------------- */

async function main() {
	takeFragment();
	setupTokenDialog();
	setupTime();
	setupEvidence();
	if (typeof L === 'undefined' || typeof topojson === 'undefined') {
		showFatal('Leaflet or topojson-client did not load: run scripts/deps.sh (npm ci in web/).');
		return;
	}
	initMap();
	const base = loadBasemap().catch((e) => addAlert('error', `basemap: ${e.message}`));
	if (!token()) await askToken();
	try {
		await loadAgreement();
		await Promise.all([loadSensors(), loadEvents(), loadFindings(), base]);
	} catch (e) {
		showFatal(`Loading failed: ${e.message}`);
		throw e;
	}
	render();
	document.body.dataset.ready = 'true';
	streamAlerts();
}

main();

/* For tests/browser/map.test.mjs (importing this module again from the page
 * returns this same, already running instance). */
export {SseParser, rootFromInclusion, leafHash, parseCheckpoint, checkSignature, envelopeBytes, ellipse90};
