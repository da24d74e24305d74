// gen.mjs - a CoT marker written by a TAK library rather than by hand or by
// vigil: @tak-ps/node-cot's GeoJSON -> CoT conversion (CloudTAK's path),
// for tests/e2e/tak_cot.sh to feed to `vigil tak listen`.
//
//   node gen.mjs OUT.xml
import { CoTParser } from '@tak-ps/node-cot';
import fs from 'node:fs';

const cot = await CoTParser.from_geojson({
    id: 'cloudtak-tank-1',
    type: 'Feature',
    properties: {
        type: 'a-h-G-E-V-A-T', how: 'h-e', callsign: 'T-72 column', remarks: 'two tanks moving south',
        time: '2026-03-01T00:50:00.000Z', start: '2026-03-01T00:50:00.000Z', stale: '2026-03-01T02:50:00.000Z',
    },
    geometry: { type: 'Point', coordinates: [37.91, 47.98, 150] },
});
fs.writeFileSync(process.argv[2], CoTParser.to_xml(cot));
