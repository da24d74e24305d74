// listen.mjs - a TAK-style receiver for tests/e2e/tak_cot.sh: CoT over UDP
// (unicast, or a multicast group joined on an interface) and TCP streams
// (cut after each "</event>", as TAK Server and node-tak's findCoT do),
// every message parsed with @tak-ps/node-cot.
//
//   node listen.mjs --out FILE [--udp HOST:PORT] [--tcp HOST:PORT]
//                   [--mcast GROUP --iface ADDR] [--reset-first] [--count N] [--timeout S]
//
// Prints "listening udp PORT tcp PORT" when bound (port 0: chosen by the
// system). Writes one JSON line per message to FILE: {via, uid, type, lat,
// lon} or {via, error}. --reset-first resets the first TCP connection as
// soon as it is accepted (a TCP RST: the peer's data is dropped), to test
// the sender's reconnect. Exits 0 once N distinct uids have arrived, 1 on
// timeout.
import { CoTParser } from '@tak-ps/node-cot';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';

const args = process.argv.slice(2);
const opt = (k) => { const i = args.indexOf(k); return i >= 0 ? args[i + 1] : undefined; };
const out = fs.openSync(opt('--out'), 'w');
const want = Number(opt('--count') || 0);
const uids = new Set();
let resetDone = !args.includes('--reset-first');
const hp = (s) => { const i = s.lastIndexOf(':'); return [s.slice(0, i), Number(s.slice(i + 1))]; };

function handle(via, xml) {
    let rec;
    try {
        const cot = CoTParser.from_xml(xml);
        const [lon, lat] = cot.position();
        rec = { via, uid: cot.uid(), type: cot.type(), lat, lon };
        uids.add(rec.uid);
    } catch (e) {
        rec = { via, error: e.message };
    }
    fs.writeSync(out, JSON.stringify(rec) + '\n');
    if (want && uids.size >= want) {
        fs.closeSync(out);
        process.exit(0);
    }
}

const ready = [];
if (opt('--udp')) {
    const [host, port] = hp(opt('--udp'));
    const s = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    s.on('message', (m) => handle('udp', m.toString('utf8')));
    ready.push(new Promise((res) => s.bind(port, opt('--mcast') ? undefined : host, () => {
        if (opt('--mcast')) s.addMembership(opt('--mcast'), opt('--iface'));
        res(`udp ${s.address().port}`);
    })));
}
if (opt('--tcp')) {
    const [host, port] = hp(opt('--tcp'));
    const srv = net.createServer((sock) => {
        if (!resetDone) {
            resetDone = true;
            sock.resetAndDestroy();
            return;
        }
        let buf = '';
        sock.setEncoding('utf8');
        sock.on('data', (d) => {
            buf += d;
            let i;
            while ((i = buf.indexOf('</event>')) >= 0) {
                const msg = buf.slice(0, i + 8).trim();
                buf = buf.slice(i + 8);
                handle('tcp', msg);
            }
        });
        sock.on('error', () => {});
    });
    ready.push(new Promise((res) => srv.listen(port, host, () => res(`tcp ${srv.address().port}`))));
}
console.log('listening ' + (await Promise.all(ready)).join(' '));
setTimeout(() => {
    console.error(`listen.mjs: timed out with ${uids.size} of ${want} uids`);
    process.exit(1);
}, Number(opt('--timeout') || 30) * 1000);
