/**
 * The glibc-compat ELF patch (runtime/server/uws-glibc-compat.ts), on the
 * real uWebSockets.js v20.57 Linux x64 bindings: the three C23 references
 * are renamed and re-versioned, the GLIBC_2.38 need is weak, and not one
 * other byte changes. The checks decode the ELF tables here, independently
 * of the patcher. Anything unexpected is refused with a reason.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { patchC23Glibc } from "../../runtime/server/uws-glibc-compat.js";

const require = createRequire(import.meta.url);
const pkg = dirname(require.resolve("uWebSockets.js"));
const legacy = join(dirname(require.resolve("uws-legacy/package.json")), "binaries");
const ABIS = ["115", "127", "137", "141"];
const binary = (abi: string): Buffer => readFileSync(join(pkg, `uws_linux_x64_${abi}.node`));

/** The ELF tables the patch touches, decoded from the section headers. */
function tables(b: Buffer) {
  const shoff = Number(b.readBigUInt64LE(0x28));
  const section = (i: number) => {
    const at = shoff + i * 64;
    return { type: b.readUInt32LE(at + 4), addr: Number(b.readBigUInt64LE(at + 16)), offset: Number(b.readBigUInt64LE(at + 24)), size: Number(b.readBigUInt64LE(at + 32)), link: b.readUInt32LE(at + 40), info: b.readUInt32LE(at + 44), headerAt: at };
  };
  const all = Array.from({ length: b.readUInt16LE(0x3c) }, (_, i) => section(i));
  const dynsym = all.find((s) => s.type === 11)!;
  const dynstr = all[dynsym.link]!;
  const versym = all.find((s) => s.type === 0x6fffffff)!;
  const verneed = all.find((s) => s.type === 0x6ffffffe)!;
  const str = (i: number) => b.toString("latin1", dynstr.offset + i, b.indexOf(0, dynstr.offset + i));
  const symbols = Array.from({ length: dynsym.size / 24 }, (_, i) => ({ name: str(b.readUInt32LE(dynsym.offset + i * 24)), version: b.readUInt16LE(versym.offset + i * 2) & 0x7fff }));
  const needs: { file: string; name: string; index: number; flags: number }[] = [];
  for (let at = verneed.offset, n = 0; n < verneed.info; n++) {
    for (let aux = at + b.readUInt32LE(at + 8), k = 0; k < b.readUInt16LE(at + 2); k++, aux += b.readUInt32LE(aux + 12)) {
      needs.push({ file: str(b.readUInt32LE(at + 4)), name: str(b.readUInt32LE(aux + 8)), index: b.readUInt16LE(aux + 6), flags: b.readUInt16LE(aux + 4) });
    }
    at += b.readUInt32LE(at + 12);
  }
  const need = (file: string, name: string) => needs.find((n) => n.file === file && n.name === name)!;
  return { symbols, need, verneed };
}

describe("the glibc-compat patch on uWS v20.57's Linux x64 bindings", () => {
  it.each(ABIS)("ABI %s: rebinds the three C23 references to glibc 2.2.5 and makes GLIBC_2.38 weak, and nothing else", (abi) => {
    const original = binary(abi);
    const before = Buffer.from(original);
    const result = patchC23Glibc(original);
    if (!result.ok) throw new Error(result.reason);
    expect(original.equals(before)).toBe(true); // the input is left alone

    const was = tables(original);
    const now = tables(Buffer.from(result.bytes));
    const c23 = was.need("libc.so.6", "GLIBC_2.38");
    const base = was.need("libc.so.6", "GLIBC_2.2.5");
    expect(was.symbols.filter((s) => s.version === c23.index).map((s) => s.name).sort()).toEqual(["__isoc23_sscanf", "__isoc23_strtol", "__isoc23_strtoul"]);

    // After: no symbol uses the 2.38 need, which is weak; the three are the classic functions at GLIBC_2.2.5.
    expect(now.symbols.filter((s) => s.version === c23.index)).toEqual([]);
    expect(now.need("libc.so.6", "GLIBC_2.38").flags).toBe(c23.flags | 0x2);
    for (const [i, s] of was.symbols.entries()) {
      const after = now.symbols[i]!;
      if (s.version === c23.index) expect(after).toEqual({ name: s.name.slice("__isoc23_".length), version: base.index });
      else expect(after).toEqual(s);
    }
    expect(result.edits.map((e) => [e.symbol, e.becomes]).sort()).toEqual([
      ["__isoc23_sscanf", "sscanf"],
      ["__isoc23_strtol", "strtol"],
      ["__isoc23_strtoul", "strtoul"],
    ]);

    // Every byte outside the three st_name fields, the three version entries and the one flags field is unchanged.
    const allowed = new Set<number>();
    for (const e of result.edits) {
      for (let k = 0; k < 4; k++) allowed.add(e.nameOffset + k);
      for (let k = 0; k < 2; k++) allowed.add(e.versionOffset + k);
    }
    for (let k = 0; k < 2; k++) allowed.add(result.weakenedOffset + k);
    expect(result.bytes.byteLength).toBe(original.byteLength);
    const changed: number[] = [];
    for (let i = 0; i < original.byteLength; i++) if (result.bytes[i] !== original[i]) changed.push(i);
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.filter((i) => !allowed.has(i))).toEqual([]);
  });

  it("refuses what is not an ELF64 x86-64 shared object, and says why", () => {
    expect(patchC23Glibc(Buffer.from("hello, world"))).toEqual({ ok: false, reason: "not an ELF file" });
    const arm = patchC23Glibc(readFileSync(join(pkg, "uws_linux_arm64_137.node")));
    expect(arm).toEqual({ ok: false, reason: "built for machine 183, not x86-64" });
    expect(patchC23Glibc(readFileSync(join(pkg, "uws_darwin_x64_137.node")))).toEqual({ ok: false, reason: "not an ELF file" });
  });

  it("refuses a truncated file without throwing", () => {
    const result = patchC23Glibc(binary("137").subarray(0, 100_000));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/^truncated: /);
  });

  it("refuses a binary that does not need GLIBC_2.38 (uws-legacy's) and one it already patched", () => {
    expect(patchC23Glibc(readFileSync(join(legacy, "uws_linux_x64_115.node")))).toEqual({ ok: false, reason: "the binary does not need GLIBC_2.38: nothing to patch" });
    const once = patchC23Glibc(binary("137"));
    if (!once.ok) throw new Error(once.reason);
    expect(patchC23Glibc(once.bytes)).toEqual({ ok: false, reason: "no symbol uses the GLIBC_2.38 need" });
  });

  it("refuses when any other symbol needs GLIBC_2.38, naming it", () => {
    const b = Buffer.from(binary("137"));
    const { symbols, need } = tables(b);
    const c23 = need("libc.so.6", "GLIBC_2.38").index;
    const other = symbols.findIndex((s) => s.name === "arc4random");
    // Re-point arc4random's version entry at the GLIBC_2.38 need.
    const shoff = Number(b.readBigUInt64LE(0x28));
    const versymAt = Array.from({ length: b.readUInt16LE(0x3c) }, (_, i) => shoff + i * 64).find((at) => b.readUInt32LE(at + 4) === 0x6fffffff)!;
    b.writeUInt16LE(c23, Number(b.readBigUInt64LE(versymAt + 24)) + other * 2);
    expect(patchC23Glibc(b)).toEqual({ ok: false, reason: "`arc4random` also needs GLIBC_2.38; only __isoc23_sscanf, __isoc23_strtol, __isoc23_strtoul are known to have GLIBC_2.2.5 equivalents" });
  });

  it("refuses when the section headers and the dynamic section the loader reads disagree", () => {
    const b = Buffer.from(binary("137"));
    const shoff = Number(b.readBigUInt64LE(0x28));
    const verneedAt = Array.from({ length: b.readUInt16LE(0x3c) }, (_, i) => shoff + i * 64).find((at) => b.readUInt32LE(at + 4) === 0x6ffffffe)!;
    b.writeBigUInt64LE(b.readBigUInt64LE(verneedAt + 16) + 16n, verneedAt + 16); // sh_addr moved, sh_offset not
    expect(patchC23Glibc(b)).toEqual({ ok: false, reason: "the dynamic entry 0x6ffffffe and the section headers disagree" });
  });
});
