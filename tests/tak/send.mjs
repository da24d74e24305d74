// send.mjs - send files as CoT messages for tests/e2e/tak_cot.sh: over UDP
// one datagram per file, over TCP all files back to back on one connection.
//
//   node send.mjs --udp HOST:PORT FILE...
//   node send.mjs --tcp HOST:PORT FILE...
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';

const [mode, addr, ...files] = process.argv.slice(2);
const i = addr.lastIndexOf(':');
const host = addr.slice(0, i), port = Number(addr.slice(i + 1));
const msgs = files.map((f) => fs.readFileSync(f));
if (mode === '--udp') {
    const s = dgram.createSocket('udp4');
    for (const m of msgs)
        await new Promise((res, rej) => s.send(m, port, host, (e) => (e ? rej(e) : res())));
    s.close();
} else if (mode === '--tcp') {
    await new Promise((res, rej) => {
        const s = net.connect(port, host, () => {
            for (const m of msgs) s.write(m);
            s.end();
        });
        s.on('close', res);
        s.on('error', rej);
    });
} else {
    console.error('usage: node send.mjs --udp|--tcp HOST:PORT FILE...');
    process.exit(2);
}
