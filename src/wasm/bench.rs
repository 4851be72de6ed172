//! Timers for `npm run bench` (cargo feature `bench`; never in the shipped package).
//!
//! - [`KernelBench`]: one kernel, scalar or SIMD128, over `n` random codes; for GB/s next to a
//!   plain memory-read baseline over the same bytes.
//! - [`ScanBench`]: the real quantized scan (`Codes::scan`, fused top-k) over `n` encoded
//!   random vectors without keeping originals, so 1M-vector scans fit in memory.

use wasm_bindgen::prelude::*;

use crate::kernels::{scalar, simd128};
use crate::params::{BinaryQuery, IndexParams, Metric, Quantization};
use crate::quant::Codes;
use crate::rng::Rng;
use crate::search::topk::TopK;

fn random_bytes(rng: &mut Rng, n: usize) -> Vec<u8> {
    (0..n).map(|_| rng.next_u64() as u8).collect()
}

/// Roughly Gaussian components (sum of four uniforms), like embedding values.
fn random_vector(rng: &mut Rng, out: &mut [f32]) {
    for v in out.iter_mut() {
        *v = (0..4).map(|_| rng.unit_f64() as f32).sum::<f32>() - 2.0;
    }
}

/// One kernel over `n` codes.
#[wasm_bindgen]
pub struct KernelBench {
    run: Box<dyn FnMut() -> f64>,
    bytes: f64,
}

#[wasm_bindgen]
impl KernelBench {
    /// `kernel`: memread | hamming | bitplanes4 | dot_i8 | pq_adc | fastscan, with
    /// `simd` choosing the SIMD128 or the scalar version (memread has one).
    #[wasm_bindgen(constructor)]
    pub fn new(
        kernel: &str,
        simd: bool,
        n: usize,
        dimensions: usize,
    ) -> Result<KernelBench, JsError> {
        let mut rng = Rng::from_seed(7);
        let (run, bytes): (Box<dyn FnMut() -> f64>, usize) = match kernel {
            "memread" => {
                let data = random_bytes(&mut rng, n * dimensions / 8);
                let len = data.len();
                (
                    Box::new(move || {
                        data.chunks_exact(8)
                            .map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
                            .fold(0u64, u64::wrapping_add) as f64
                    }),
                    len,
                )
            }
            "hamming" => {
                let (q, codes) = (
                    random_bytes(&mut rng, dimensions / 8),
                    random_bytes(&mut rng, n * dimensions / 8),
                );
                let mut out = vec![0u32; n];
                let len = codes.len();
                (
                    Box::new(move || {
                        if simd {
                            simd128::hamming_batch_simd128(&q, &codes, &mut out);
                        } else {
                            scalar::hamming_batch_scalar(&q, &codes, &mut out);
                        }
                        f64::from(out[n / 2])
                    }),
                    len,
                )
            }
            "bitplanes4" => {
                let (planes, codes) = (
                    random_bytes(&mut rng, dimensions / 2),
                    random_bytes(&mut rng, n * dimensions / 8),
                );
                let (mut w, mut p) = (vec![0u32; n], vec![0u32; n]);
                let len = codes.len();
                (
                    Box::new(move || {
                        if simd {
                            simd128::bitplanes4_batch_simd128(&planes, &codes, &mut w, &mut p);
                        } else {
                            scalar::bitplanes4_batch_scalar(&planes, &codes, &mut w, &mut p);
                        }
                        f64::from(w[n / 2] + p[n / 2])
                    }),
                    len,
                )
            }
            "dot_i8" => {
                // The query side is unsigned 7-bit (see `kernels::dot_i8_batch`).
                let q: Vec<i8> = random_bytes(&mut rng, dimensions)
                    .into_iter()
                    .map(|b| (b & 0x7f) as i8)
                    .collect();
                let codes: Vec<i8> = random_bytes(&mut rng, n * dimensions)
                    .into_iter()
                    .map(|b| b as i8)
                    .collect();
                let mut out = vec![0i32; n];
                let len = codes.len();
                (
                    Box::new(move || {
                        if simd {
                            simd128::dot_i8_batch_simd128(&q, &codes, &mut out);
                        } else {
                            scalar::dot_i8_batch_scalar(&q, &codes, &mut out);
                        }
                        f64::from(out[n / 2])
                    }),
                    len,
                )
            }
            "pq_adc" => {
                let m = dimensions / 8;
                let lut: Vec<f32> = random_bytes(&mut rng, m * 256)
                    .into_iter()
                    .map(f32::from)
                    .collect();
                let codes = random_bytes(&mut rng, n * m);
                let mut out = vec![0f32; n];
                let len = codes.len();
                (
                    Box::new(move || {
                        if simd {
                            simd128::pq_adc_batch_simd128(&lut, &codes, &mut out);
                        } else {
                            scalar::pq_adc_batch_scalar(&lut, &codes, &mut out);
                        }
                        f64::from(out[n / 2])
                    }),
                    len,
                )
            }
            "fastscan" => {
                let m = (dimensions / 4).min(256);
                let n = n.div_ceil(32) * 32;
                let (lut, blocks) = (
                    random_bytes(&mut rng, m * 16),
                    random_bytes(&mut rng, n / 32 * m * 16),
                );
                let mut out = vec![0u16; n];
                let len = blocks.len();
                (
                    Box::new(move || {
                        if simd {
                            simd128::fastscan_u4_simd128(&lut, &blocks, &mut out);
                        } else {
                            scalar::fastscan_u4_scalar(&lut, &blocks, &mut out);
                        }
                        f64::from(out[n / 2])
                    }),
                    len,
                )
            }
            other => return Err(JsError::new(&format!("unknown kernel {other:?}"))),
        };
        Ok(KernelBench {
            run,
            bytes: bytes as f64,
        })
    }

    /// One pass over every code; returns a value of the result so the work is not elided.
    pub fn run(&mut self) -> f64 {
        (self.run)()
    }

    /// Bytes of codes one pass reads.
    #[wasm_bindgen(getter)]
    pub fn bytes(&self) -> f64 {
        self.bytes
    }
}

/// The real scan of one quantization over `n` encoded random vectors.
#[wasm_bindgen]
pub struct ScanBench {
    codes: Codes,
    live: Vec<bool>,
    queries: Vec<f32>,
    dimensions: usize,
    next: usize,
}

#[wasm_bindgen]
impl ScanBench {
    /// `quantization`: binary | hamming | int8 | pq8 | pq4 (cosine metric).
    #[wasm_bindgen(constructor)]
    pub fn new(quantization: &str, n: usize, dimensions: usize) -> Result<ScanBench, JsError> {
        let q = match quantization {
            "binary" => Quantization::BINARY_DEFAULT,
            "hamming" => Quantization::Binary {
                centered: false,
                query: BinaryQuery::Hamming,
                refine: 0,
            },
            "int8" => Quantization::INT8_DEFAULT,
            "pq8" => Quantization::pq_default(dimensions, 8, None),
            "pq4" => Quantization::pq_default(dimensions, 4, None),
            other => return Err(JsError::new(&format!("unknown quantization {other:?}"))),
        };
        let params = IndexParams::new(dimensions, Metric::Cosine, q)?;
        let mut rng = Rng::from_seed(11);
        let mut sample = vec![0f32; 8192 * dimensions];
        for row in sample.chunks_exact_mut(dimensions) {
            random_vector(&mut rng, row);
        }
        let mut codes = Codes::fit(&params, &sample).ok_or_else(|| JsError::new("no codes"))?;
        codes.try_reserve(n).map_err(JsError::from)?;
        let mut v = vec![0f32; dimensions];
        for slot in 0..n {
            random_vector(&mut rng, &mut v);
            codes.set(slot as u32, &v);
        }
        let mut queries = vec![0f32; 64 * dimensions];
        for row in queries.chunks_exact_mut(dimensions) {
            random_vector(&mut rng, row);
        }
        Ok(ScanBench {
            codes,
            live: vec![true; n],
            queries,
            dimensions,
            next: 0,
        })
    }

    /// Scans every code for the next query, keeping the best `k`; returns the best key.
    pub fn run(&mut self, k: usize) -> f64 {
        let d = self.dimensions;
        let q = &self.queries[(self.next % 64) * d..(self.next % 64 + 1) * d];
        self.next += 1;
        let mut top = TopK::new(k);
        self.codes.scan(q, &self.live, &mut top);
        top.into_sorted().first().map_or(0.0, |c| f64::from(c.key))
    }
}
