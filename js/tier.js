// Picks the kernel tier this engine runs: "relaxed-simd" or "simd128".
//
// Each probe is a tiny hand-assembled module exporting `f(): i32`. The relaxed probe is also
// *run*: WebAssembly.validate only says an engine parses the instruction, and an engine
// whose relaxed dot product returns the wrong sum (Node 20's experimental flag returns twice
// it) must get the SIMD128 tier, whose results the relaxed tier reproduces bit for bit.

/** `(module (func (export "f") (result i32) <body>))` */
function probe(body) {
  const code = [0x00, ...body, 0x0b]; // no locals, body, end
  return Uint8Array.of(
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00, // magic, version 1
    0x01,
    0x05,
    0x01,
    0x60,
    0x00,
    0x01,
    0x7f, //       type: () -> i32
    0x03,
    0x02,
    0x01,
    0x00, //                         one function of type 0
    0x07,
    0x05,
    0x01,
    0x01,
    0x66,
    0x00,
    0x00, //       export it as "f"
    0x0a,
    code.length + 2,
    0x01,
    code.length,
    ...code,
  );
}
/** v128.const with every byte set to `byte`. */
const splat = (byte) => [0xfd, 0x0c, ...new Array(16).fill(byte)];
const EXTRACT_LANE_0 = [0xfd, 0x1b, 0x00]; // i32x4.extract_lane 0

// i32x4.dot_i16x8_s of two constants: any SIMD128 engine validates this.
const SIMD128_PROBE = probe([...splat(0x01), ...splat(0x02), 0xfd, 0xba, 0x01, ...EXTRACT_LANE_0]);
// i32x4.relaxed_dot_i8x16_i7x16_add_s(−128 × 16, 127 × 16, 0): lane 0 = 4 × (−128 × 127).
const RELAXED_PROBE = probe([...splat(0x80), ...splat(0x7f), ...splat(0x00), 0xfd, 0x93, 0x02, ...EXTRACT_LANE_0]);
const RELAXED_ANSWER = -65024;

/** The .wasm file of each tier, next to this module. */
export const WASM_FILES = { simd128: "quiver_bg.wasm", "relaxed-simd": "quiver_relaxed_bg.wasm" };

/** Whether this engine runs relaxed SIMD's int8 dot product exactly. */
export function hasExactRelaxedDot() {
  if (!WebAssembly.validate(RELAXED_PROBE)) return false;
  try {
    return new WebAssembly.Instance(new WebAssembly.Module(RELAXED_PROBE)).exports.f() === RELAXED_ANSWER;
  } catch {
    return false;
  }
}

/** The tier to load: `requested` if given (and runnable), else the fastest that runs
 * here. Throws an Error naming the engines that have SIMD when this one has none. */
export function chooseTier(requested) {
  if (typeof WebAssembly !== "object") {
    throw new Error("quiver needs WebAssembly, which this environment does not provide");
  }
  if (!WebAssembly.validate(SIMD128_PROBE)) {
    throw new Error(
      "quiver needs WebAssembly SIMD128, which this engine lacks; it ships in Chrome and Edge 91+, " +
        "Firefox 89+, Safari 16.4+ (iOS 16.4+), Node 16.4+ and Deno 1.9+",
    );
  }
  const best = hasExactRelaxedDot() ? "relaxed-simd" : "simd128";
  if (requested === undefined) return best;
  if (!(requested in WASM_FILES)) {
    throw new Error(`unknown tier ${JSON.stringify(requested)}: expected "simd128" or "relaxed-simd"`);
  }
  if (requested === "relaxed-simd" && best !== requested) {
    throw new Error(
      'tier "relaxed-simd" was requested, but this engine has no exact relaxed SIMD ' +
        '(Chrome and Edge 114+); use "simd128" or leave the tier out',
    );
  }
  return requested;
}
