//! Native criterion benchmarks of the kernels (scalar on x86; the wasm SIMD figures come
//! from `npm run bench`, which times the real .wasm). Groups per kernel at 128/384/768/1536
//! dimensions, throughput in bytes of codes read.
#![allow(missing_docs, reason = "criterion macros generate undocumented items")]

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use criterion::{BenchmarkId, Criterion, Throughput};
    use quiver::kernels;
    use std::hint::black_box;

    const DIMS: [usize; 4] = [128, 384, 768, 1536];
    const CODES: usize = 4096;

    fn bytes(n: usize, seed: u64) -> Vec<u8> {
        let mut rng = quiver::rng::Rng::from_seed(seed);
        (0..n).map(|_| rng.next_u64() as u8).collect()
    }

    pub fn all(c: &mut Criterion) {
        let mut group = c.benchmark_group("hamming_batch");
        for d in DIMS {
            let (q, codes) = (bytes(d / 8, 1), bytes(d / 8 * CODES, 2));
            let mut out = vec![0u32; CODES];
            group.throughput(Throughput::Bytes(codes.len() as u64));
            group.bench_function(BenchmarkId::from_parameter(d), |b| {
                b.iter(|| kernels::hamming_batch(black_box(&q), black_box(&codes), &mut out))
            });
        }
        group.finish();
        let mut group = c.benchmark_group("bitplanes4_batch");
        for d in DIMS {
            let (planes, codes) = (bytes(d / 2, 3), bytes(d / 8 * CODES, 4));
            let (mut w, mut p) = (vec![0u32; CODES], vec![0u32; CODES]);
            group.throughput(Throughput::Bytes(codes.len() as u64));
            group.bench_function(BenchmarkId::from_parameter(d), |b| {
                b.iter(|| {
                    kernels::bitplanes4_batch(black_box(&planes), black_box(&codes), &mut w, &mut p)
                })
            });
        }
        group.finish();
        let mut group = c.benchmark_group("dot_i8_batch");
        for d in DIMS {
            let q: Vec<i8> = bytes(d, 5).into_iter().map(|b| b as i8).collect();
            let codes: Vec<i8> = bytes(d * CODES, 6).into_iter().map(|b| b as i8).collect();
            let mut out = vec![0i32; CODES];
            group.throughput(Throughput::Bytes(codes.len() as u64));
            group.bench_function(BenchmarkId::from_parameter(d), |b| {
                b.iter(|| kernels::dot_i8_batch(black_box(&q), black_box(&codes), &mut out))
            });
        }
        group.finish();
        let mut group = c.benchmark_group("pq_adc_batch");
        for d in DIMS {
            let m = d / 8;
            let lut: Vec<f32> = bytes(m * 256, 7).into_iter().map(f32::from).collect();
            let codes = bytes(m * CODES, 8);
            let mut out = vec![0f32; CODES];
            group.throughput(Throughput::Bytes(codes.len() as u64));
            group.bench_function(BenchmarkId::from_parameter(d), |b| {
                b.iter(|| kernels::pq_adc_batch(black_box(&lut), black_box(&codes), &mut out))
            });
        }
        group.finish();
        let mut group = c.benchmark_group("fastscan_u4");
        for d in DIMS {
            let m = (d / 4).min(256);
            let (lut, blocks) = (bytes(m * 16, 9), bytes(m * 16 * CODES / 32, 10));
            let mut out = vec![0u16; CODES];
            group.throughput(Throughput::Bytes(blocks.len() as u64));
            group.bench_function(BenchmarkId::from_parameter(d), |b| {
                b.iter(|| kernels::fastscan_u4(black_box(&lut), black_box(&blocks), &mut out))
            });
        }
        group.finish();
        let mut group = c.benchmark_group("dot_f32");
        for d in DIMS {
            let (a, b2): (Vec<f32>, Vec<f32>) = (
                bytes(d, 11).into_iter().map(f32::from).collect(),
                bytes(d, 12).into_iter().map(f32::from).collect(),
            );
            group.throughput(Throughput::Bytes(8 * d as u64));
            group.bench_function(BenchmarkId::from_parameter(d), |b| {
                b.iter(|| kernels::dot_f32(black_box(&a), black_box(&b2)))
            });
        }
        group.finish();
    }
}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_group!(benches, native::all);
#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(benches);

#[cfg(target_arch = "wasm32")]
fn main() {}
