// check.mjs - parse every CoT message vigil wrote with an independent TAK
// library (@tak-ps/node-cot: xml-js + its JSON schema of CoT, as CloudTAK
// uses it) and compare what it reads with the records vigil converted.
//
//   node check.mjs COT.xml EVENTS.ndjson FINDINGS.ndjson
//
// COT.xml: one message per line (`vigil tak xml`), events first then
// findings, in the records' order. Checks per message: node-cot parses and
// validates it; uid, type, lat, lon, time, start, stale and ce as node-cot
// reads them equal the attributes in the line; uid is <prefix>-event-<id>
// or -finding-<id> of the record at that position; lat, lon equal the
// record's (1e-8 degree: the record's decimals); the type is in MITRE's
// CoT type catalogue (CoTtypes.xml, shipped with node-cot) and agrees with
// the record (launch: b-d-l or an atom, impact b-d-i, explosion b-d-a-i);
// GeoJSON conversion gives the same point. Prints a JSON summary; exit 1 on
// any failure.
import { CoTParser } from '@tak-ps/node-cot';
import fs from 'node:fs';

const [xmlPath, evPath, fPath] = process.argv.slice(2);
if (!xmlPath) {
    console.error('usage: node check.mjs COT.xml [EVENTS.ndjson] [FINDINGS.ndjson]');
    process.exit(2);
}
const lines = fs.readFileSync(xmlPath, 'utf8').split('\n').filter((l) => l.length);
const load = (p) => (p ? fs.readFileSync(p, 'utf8').split('\n').filter((l) => l.length).map((l) => JSON.parse(l)) : []);
const records = [...load(evPath).map((r) => ['event', r]), ...load(fPath).map((r) => ['finding', r])];

// MITRE's type catalogue: <cot cot="a-.-G-U-C-F" .../>, "." standing for any affiliation
const types_xml = new URL('./node_modules/@tak-ps/node-cot/lib/types/cot-types.xml', import.meta.url);
const catalogue = new Set();
for (const m of fs.readFileSync(types_xml, 'utf8').matchAll(/<cot\s+cot="([^"]+)"/g))
    catalogue.add(m[1]);
const inCatalogue = (t) => catalogue.has(t) || (t.startsWith('a-') && catalogue.has('a-.-' + t.slice(4)));

const attr = (line, el, name) => {
    const m = line.match(new RegExp(`<${el}\\b[^>]*?\\s${name}="([^"]*)"`));
    return m ? m[1] : undefined;
};
const failures = [];
const fail = (i, msg) => failures.push(`message ${i + 1}: ${msg}`);
const types = {};
let parsed = 0;
if (records.length && records.length !== lines.length)
    failures.push(`${lines.length} messages for ${records.length} records`);

for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    let cot;
    try {
        cot = CoTParser.from_xml(line);
    } catch (e) {
        fail(i, `node-cot refused it: ${e.message}`);
        continue;
    }
    parsed++;
    const ev = cot.raw.event._attributes, pt = cot.raw.event.point._attributes;
    const uid = cot.uid(), type = cot.type();
    types[type] = (types[type] || 0) + 1;
    if (uid !== attr(line, 'event', 'uid')) fail(i, `uid ${uid} != ${attr(line, 'event', 'uid')}`);
    if (type !== attr(line, 'event', 'type')) fail(i, `type ${type} != ${attr(line, 'event', 'type')}`);
    for (const k of ['time', 'start', 'stale', 'how', 'version'])
        if (String(ev[k]) !== attr(line, 'event', k)) fail(i, `${k} ${ev[k]} != ${attr(line, 'event', k)}`);
    for (const k of ['lat', 'lon', 'ce'])
        if (Number(pt[k]) !== Number(attr(line, 'point', k))) fail(i, `point.${k} ${pt[k]} != ${attr(line, 'point', k)}`);
    if (!(Date.parse(ev.start) <= Date.parse(ev.time) && Date.parse(ev.time) < Date.parse(ev.stale)))
        fail(i, `want start <= time < stale: ${ev.start} ${ev.time} ${ev.stale}`);
    if (!inCatalogue(type)) fail(i, `type ${type} is not in MITRE's CoTtypes.xml`);
    if (ev.how !== 'm-f') fail(i, `how ${ev.how}: want m-f (fused)`);
    const [lon, lat] = cot.position();
    if (lat !== pt.lat || lon !== pt.lon) fail(i, `position() ${lat},${lon} != point ${pt.lat},${pt.lon}`);
    const gj = await CoTParser.to_geojson(cot);
    if (gj.geometry.type !== 'Point' || gj.geometry.coordinates[0] !== lon || gj.geometry.coordinates[1] !== lat)
        fail(i, `GeoJSON ${JSON.stringify(gj.geometry)} != ${lon},${lat}`);
    if (!records.length) continue;
    const [kind, rec] = records[i] || [];
    if (!rec) continue;
    if (!uid.endsWith(`-${kind}-${rec.id}`)) fail(i, `uid ${uid} is not the ${kind} ${rec.id}`);
    if (Math.abs(lat - rec.lat) > 1e-8 || Math.abs(lon - rec.lon) > 1e-8)
        fail(i, `lat,lon ${lat},${lon} != record ${rec.lat},${rec.lon}`);
    if (kind === 'event') {
        const want = { launch: /^(b-d-l|a-h-.+)$/, impact: /^b-d-i$/, explosion: /^b-d-a-i$/ }[rec.type];
        if (!want || !want.test(type)) fail(i, `type ${type} for a ${rec.type} event`);
        if (type.startsWith('a-') && !(rec.class && rec.class !== 'unknown')) fail(i, `atom ${type} without a class`);
        if (rec.type === 'launch' && rec.class && rec.class !== 'unknown' && !type.startsWith('a-h-'))
            fail(i, `launch of class ${rec.class} written as ${type}`);
        if (Math.abs(Date.parse(ev.start) - Math.floor(Date.parse(rec.time))) > 1) fail(i, `start ${ev.start} != time ${rec.time}`);
        if (rec.ellipse && Math.abs(Number(pt.ce) - rec.ellipse.smaj_m) > 0.006)
            fail(i, `ce ${pt.ce} != ellipse.smaj_m ${rec.ellipse.smaj_m}`);
    } else {
        if (Math.abs(Date.parse(ev.start) - Math.floor(Date.parse(rec.from))) > 1) fail(i, `start ${ev.start} != from ${rec.from}`);
        const v = cot.raw.event.detail && cot.raw.event.detail.vigil && cot.raw.event.detail.vigil._attributes;
        if (!v || v.id !== rec.id || v.rule !== rec.rule || (rec.grade && v.grade !== rec.grade) ||
            (rec.party && v.party !== rec.party))
            fail(i, `<vigil> ${JSON.stringify(v)} does not carry the finding's id, rule, grade, party`);
        else if (Number(v.n_evidence) !== rec.evidence.length) fail(i, `n_evidence ${v.n_evidence} != ${rec.evidence.length}`);
    }
}
console.log(JSON.stringify({ messages: lines.length, parsed, failures: failures.length, types }));
for (const f of failures.slice(0, 20)) console.error(f);
process.exit(failures.length || parsed !== lines.length || !lines.length ? 1 : 0);
