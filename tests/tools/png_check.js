// png_check.js FILE WIDTH HEIGHT — check that a screenshot is a PNG of the
// given size that shows something: more than one colour, and at least 2% of
// its pixels unlike the page background (the most common colour). Plain
// Node.js (zlib), so the test needs no image library.
'use strict';
const fs = require('fs');
const zlib = require('zlib');

function fail(msg) {
  console.error(`png_check: ${msg}`);
  process.exit(1);
}

const [file, wantW, wantH] = process.argv.slice(2);
if (!file || !fs.existsSync(file)) fail(`${file}: no such file`);
const buf = fs.readFileSync(file);
if (buf.length < 33 || buf.readUInt32BE(0) !== 0x89504e47) fail(`${file}: not a PNG`);
const width = buf.readUInt32BE(16), height = buf.readUInt32BE(20);
const depth = buf[24], colour = buf[25], interlace = buf[28];
if (width !== Number(wantW) || height !== Number(wantH))
  fail(`${file}: ${width}x${height}, want ${wantW}x${wantH}`);
if (depth !== 8 || (colour !== 2 && colour !== 6) || interlace !== 0)
  fail(`${file}: unexpected format (depth ${depth}, colour type ${colour}, interlace ${interlace})`);

const idat = [];
for (let at = 8; at < buf.length;) {
  const len = buf.readUInt32BE(at), type = buf.toString('latin1', at + 4, at + 8);
  if (type === 'IDAT') idat.push(buf.subarray(at + 8, at + 8 + len));
  at += 12 + len;
}
const raw = zlib.inflateSync(Buffer.concat(idat));
const bpp = colour === 6 ? 4 : 3, stride = width * bpp;
const px = Buffer.alloc(stride * height);
// Undo the per-row filters (PNG spec, section 9).
for (let y = 0; y < height; y++) {
  const f = raw[y * (stride + 1)], src = y * (stride + 1) + 1, row = y * stride;
  for (let x = 0; x < stride; x++) {
    const a = x >= bpp ? px[row + x - bpp] : 0, b = y ? px[row - stride + x] : 0;
    const c = x >= bpp && y ? px[row - stride + x - bpp] : 0;
    let v = raw[src + x];
    if (f === 1) v += a;
    else if (f === 2) v += b;
    else if (f === 3) v += (a + b) >> 1;
    else if (f === 4) {
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
    px[row + x] = v & 255;
  }
}
const counts = new Map();
for (let i = 0; i < px.length; i += bpp) {
  const key = (px[i] << 16) | (px[i + 1] << 8) | px[i + 2];
  counts.set(key, (counts.get(key) || 0) + 1);
}
let bg = 0, bgCount = 0;
for (const [k, n] of counts) if (n > bgCount) { bg = k; bgCount = n; }
const total = width * height, other = total - bgCount;
if (counts.size < 8) fail(`${file}: only ${counts.size} colours: blank?`);
if (other / total < 0.02) fail(`${file}: ${(100 * other / total).toFixed(2)}% of pixels differ from the background: blank?`);
console.log(`${file}: ${width}x${height}, ${counts.size} colours, ` +
            `${(100 * other / total).toFixed(1)}% unlike the background #${bg.toString(16).padStart(6, '0')}`);
