/**
 * SHA-256 in plain TypeScript (FIPS 180-4), so the compiler can name a policy
 * version by content without importing `node:crypto`: the compiler is a pure
 * layer that must also run in an editor or a browser.
 */

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);

/** UTF-8 bytes of a string (lone surrogates become U+FFFD, as TextEncoder does). */
export function utf8(text: string): Uint8Array {
  const out = new Uint8Array(text.length * 3);
  let n = 0;
  forEachUtf8Byte(text, (b) => {
    out[n++] = b;
  });
  return out.subarray(0, n);
}

/** Calls `emit` with each UTF-8 byte of `text`, without building the byte array. */
function forEachUtf8Byte(text: string, emit: (byte: number) => void): void {
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      emit(c);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      } else c = 0xfffd;
    } else if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
    if (c < 0x800) {
      emit(0xc0 | (c >> 6));
      emit(0x80 | (c & 63));
    } else if (c < 0x10000) {
      emit(0xe0 | (c >> 12));
      emit(0x80 | ((c >> 6) & 63));
      emit(0x80 | (c & 63));
    } else {
      emit(0xf0 | (c >> 18));
      emit(0x80 | ((c >> 12) & 63));
      emit(0x80 | ((c >> 6) & 63));
      emit(0x80 | (c & 63));
    }
  }
}

/**
 * An incremental SHA-256: feed text or bytes with `update`, read the digest
 * with `hex`. Hashing a large policy this way allocates one 64-byte block,
 * not a copy of the whole text.
 */
export class Sha256 {
  private readonly h = new Uint32Array([
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  ]);
  private readonly w = new Uint32Array(64);
  private readonly block = new Uint8Array(64);
  private used = 0;
  /** Bytes hashed so far (a double: exact up to 2^53, far beyond any policy). */
  private length = 0;
  update(data: string | Uint8Array): this {
    if (typeof data !== "string") {
      for (let i = 0; i < data.length; i++) this.byte(data[i]!);
      return this;
    }
    const block = this.block;
    for (let i = 0; i < data.length; i++) {
      const c = data.charCodeAt(i);
      if (c < 0x80) {
        // The ASCII fast path, inline: policies are almost all ASCII.
        block[this.used++] = c;
        this.length++;
        if (this.used === 64) {
          this.compress();
          this.used = 0;
        }
      } else {
        // Rare: re-encode this one character (a surrogate pair counts as one).
        const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < data.length ? data.charCodeAt(i + 1) : 0;
        const ch = pair >= 0xdc00 && pair <= 0xdfff ? data.slice(i, i + 2) : data[i]!;
        if (ch.length === 2) i++;
        forEachUtf8Byte(ch, (b) => this.byte(b));
      }
    }
    return this;
  }

  private byte(b: number): void {
    this.block[this.used++] = b;
    this.length++;
    if (this.used === 64) {
      this.compress();
      this.used = 0;
    }
  }

  /** The digest as 64 lowercase hex digits. Call once, after the last `update`. */
  hex(): string {
    const bits = this.length * 8;
    this.byte(0x80);
    while (this.used !== 56) this.byte(0);
    const hi = Math.floor(bits / 0x100000000);
    const lo = bits >>> 0;
    for (let i = 0; i < 4; i++) this.byte((hi >>> (24 - 8 * i)) & 0xff);
    for (let i = 0; i < 4; i++) this.byte((lo >>> (24 - 8 * i)) & 0xff);
    let hex = "";
    for (let i = 0; i < 8; i++) hex += this.h[i]!.toString(16).padStart(8, "0");
    return hex;
  }

  private compress(): void {
    const { w, block, h } = this;
    for (let t = 0, j = 0; t < 16; t++, j += 4) {
      w[t] = (block[j]! << 24) | (block[j + 1]! << 16) | (block[j + 2]! << 8) | block[j + 3]!;
    }
    for (let t = 16; t < 64; t++) {
      const a = w[t - 15]!;
      const b = w[t - 2]!;
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      w[t] = (w[t - 16]! + s0 + w[t - 7]! + s1) | 0;
    }
    let a = h[0]!, b = h[1]!, c = h[2]!, d = h[3]!, e = h[4]!, f = h[5]!, g = h[6]!, hh = h[7]!;
    for (let t = 0; t < 64; t++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (hh + S1 + ch + K[t]! + w[t]!) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) | 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h[0] = (h[0]! + a) | 0;
    h[1] = (h[1]! + b) | 0;
    h[2] = (h[2]! + c) | 0;
    h[3] = (h[3]! + d) | 0;
    h[4] = (h[4]! + e) | 0;
    h[5] = (h[5]! + f) | 0;
    h[6] = (h[6]! + g) | 0;
    h[7] = (h[7]! + hh) | 0;
  }
}

/** The SHA-256 digest of `data` (a string is hashed as UTF-8), as 64 lowercase hex digits. */
export function sha256Hex(data: string | Uint8Array): string {
  return new Sha256().update(data).hex();
}

/**
 * The policy version: `p-` and the first 12 hex digits of the SHA-256 of the
 * sources in load order (each as its path, a NUL, its text, a NUL, so moving
 * text between files changes the version).
 */
export function policyVersion(sources: readonly { path: string; text: string }[]): string {
  const hash = new Sha256();
  for (const s of sources) hash.update(s.path).update("\0").update(s.text).update("\0");
  return `p-${hash.hex().slice(0, 12)}`;
}
