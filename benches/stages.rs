//! Throughput of the per-file work that dominates a build: hashing (blake3 for names, sha384
//! for integrity) and compression (gzip 9, zopfli, Brotli 11). Run with
//! `cargo bench --bench stages`; `benches/site.sh` times whole builds.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;

/// Deterministic CSS-like text: repetitive the way real stylesheets are, not trivially so.
fn sample_text(len: usize) -> Vec<u8> {
    let props = ["color", "margin", "padding", "display", "grid-template-columns", "font-family", "background"];
    let values = ["#cc6600", "0 auto", "1rem 2rem", "flex", "repeat(3, 1fr)", "system-ui, sans-serif", "url(/assets/a.png)"];
    let mut out = Vec::with_capacity(len + 200);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let n = (x % 5000) as usize;
        out.extend_from_slice(format!(".c{n} > .item-{} {{ ", n % 37).as_bytes());
        for k in 0..(1 + x as usize % 4) {
            let i = (x as usize >> (k * 3)) % props.len();
            out.extend_from_slice(format!("{}: {}; ", props[i], values[(i + k) % values.len()]).as_bytes());
        }
        out.extend_from_slice(b"}\n");
    }
    out.truncate(len);
    out
}

fn hashing(c: &mut Criterion) {
    let data = sample_text(4 << 20);
    let mut g = c.benchmark_group("hash");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function("blake3", |b| b.iter(|| blake3::hash(black_box(&data))));
    g.bench_function("sha384-integrity", |b| b.iter(|| kiln::parts::integrity(black_box(&data))));
    g.finish();
}

fn compression(c: &mut Criterion) {
    let mut g = c.benchmark_group("compress");
    g.sample_size(10);
    for size in [16 << 10, 256 << 10] {
        let data = sample_text(size);
        g.throughput(Throughput::Bytes(data.len() as u64));
        g.bench_with_input(BenchmarkId::new("gzip-9", size), &data, |b, d| b.iter(|| kiln::parts::gzip(d, 9, false)));
        g.bench_with_input(BenchmarkId::new("brotli-11", size), &data, |b, d| b.iter(|| kiln::parts::brotli(d, 11, 24)));
        if size <= 16 << 10 {
            g.bench_with_input(BenchmarkId::new("zopfli", size), &data, |b, d| b.iter(|| kiln::parts::gzip(d, 9, true)));
        }
    }
    g.finish();
}

criterion_group!(benches, hashing, compression);
criterion_main!(benches);
