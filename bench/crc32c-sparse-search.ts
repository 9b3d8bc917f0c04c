// How src/encoding/crc32c.ts's sparse multiple of the CRC-32C polynomial was found:
//   node --max-old-space-size=4096 --import=tsx bench/crc32c-sparse-search.ts [N=320] [S=128]
// prints multiples Q = y^a + y^b + y^c + y^d + y^e + 1 of P (y = x^S, all exponents < N),
// smallest degree first.
//
// Why six terms: P = 0x1EDC6F41 (+ x^32) has an even number of terms, so x + 1 divides it and
// every multiple has an even number of terms; and CRC-32C keeps Hamming distance 6 up to
// 5243 bits, so no 4-term multiple is short (none with all exponents below 3000 blocks of
// 128 bits, which would also be too long a tail). With six terms a search over exponents
// below ~300 blocks is expected to find a few: y^a + y^b + y^c = y^d + y^e + 1 is a
// meet-in-the-middle over triples and pairs of powers of y modulo P (about 2^31 values).

const P = 0x1edc6f41; // normal bit order, x^32 implied

const mulx = (a: number): number => ((a << 1) ^ (a & 0x80000000 ? P : 0)) >>> 0;

/** a * b mod P */
function mulmod(a: number, b: number): number {
  let r = 0;
  for (let i = 31; i >= 0; i--) {
    r = mulx(r);
    if ((b >>> i) & 1) r = (r ^ a) >>> 0;
  }
  return r;
}

export function searchSparseMultiples(N: number, S: number): number[][] {
  let y = 1;
  for (let i = 0; i < S; i++) y = mulx(y);
  const pw = [1];
  for (let i = 1; i < N; i++) pw.push(mulmod(pw[i - 1]!, y));
  // every triple a > b > c > 0 by the xor of its powers (triples packed as a*N*N + b*N + c)
  const triples = new Map<number, number[]>();
  for (let a = 3; a < N; a++)
    for (let b = 2; b < a; b++)
      for (let c = 1; c < b; c++) {
        const k = (pw[a]! ^ pw[b]! ^ pw[c]!) >>> 0;
        const packed = (a * N + b) * N + c;
        const list = triples.get(k);
        if (list) list.push(packed);
        else triples.set(k, [packed]);
      }
  const found = new Map<string, number[]>();
  for (let d = 2; d < N; d++)
    for (let e = 1; e < d; e++) {
      const list = triples.get((pw[d]! ^ pw[e]! ^ 1) >>> 0);
      for (const packed of list ?? []) {
        const t = [Math.floor(packed / (N * N)), Math.floor(packed / N) % N, packed % N];
        if (t.includes(d) || t.includes(e)) continue;
        const terms = [...t, d, e].sort((u, v) => v - u);
        found.set(terms.join(','), terms);
      }
    }
  return [...found.values()].sort((u, v) => u[0]! - v[0]!);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const N = Number(process.argv[2] ?? 320);
  const S = Number(process.argv[3] ?? 128);
  const sols = searchSparseMultiples(N, S);
  console.log(`${sols.length} six-term multiples of P in y = x^${S} with exponents below ${N}:`);
  for (const s of sols.slice(0, 10)) console.log(`  y^${s.join(' + y^')} + 1   (degree ${s[0]! * S} bits)`);
}
