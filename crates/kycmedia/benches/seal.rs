//! What sealing and opening a stored object cost (`keys::object`), against
//! what the same bytes cost without encryption, in the same run: a plain
//! copy (an upload's bytes are moved into the store as they are; sealing
//! writes a new buffer), SHA-256 and HMAC-SHA256 (the signing pass every
//! download already pays, sealed or not). `bench/seal.sh` runs this and
//! prints MB/s and the ratios as Markdown; the figures are in
//! docs/benchmarks.md ("Encryption at rest").
//!
//! Sizes: one chunk (64 KiB), a small photo (1 MiB), the largest upload
//! the default body limit lets through (32 MiB).

use std::hint::black_box;
use std::time::Duration;

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use futures::{StreamExt, executor::block_on, stream};
use kycmedia::keys::{DataKey, KeyError, object};
use kycmedia_proto::signing::{Scheme, Signer};
use sha2::{Digest, Sha256};

const SIZES: [(&str, usize); 3] = [("64KiB", 64 << 10), ("1MiB", 1 << 20), ("32MiB", 32 << 20)];
/// The pieces a file store streams an object in (object_store's local
/// backend reads 8 KiB at a time).
const PIECE: usize = 8 << 10;
const IDENTITY: &[u8] = b"integration-0123\0media-0123456789";

/// Bytes that do not compress or repeat (no cipher or hash cares, but a
/// copy should not meet a page of zeros).
fn sample(len: usize) -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

fn seal_and_open(c: &mut Criterion) {
    let key = DataKey::random();
    let secret = b"a-shared-secret-of-an-integration";
    let mut group = c.benchmark_group("seal");
    for (name, len) in SIZES {
        let plain = sample(len);
        let sealed = object::seal(&key, IDENTITY, &plain);
        let pieces: Vec<Bytes> = {
            let all = Bytes::from(sealed.clone());
            (0..all.len())
                .step_by(PIECE)
                .map(|at| all.slice(at..(at + PIECE).min(all.len())))
                .collect()
        };
        // 32 MiB takes tens of milliseconds an iteration: fewer samples.
        group.sample_size(if len >= 32 << 20 { 20 } else { 50 });
        group.warm_up_time(Duration::from_secs(1));
        group.measurement_time(Duration::from_secs(3));
        group.throughput(Throughput::Bytes(len as u64));

        group.bench_with_input(BenchmarkId::new("copy", name), &plain, |b, plain| {
            b.iter(|| black_box(plain).to_vec())
        });
        group.bench_with_input(BenchmarkId::new("sha256", name), &plain, |b, plain| {
            b.iter(|| Sha256::digest(black_box(plain)))
        });
        group.bench_with_input(BenchmarkId::new("hmac_sha256", name), &plain, |b, plain| {
            b.iter(|| {
                let mut signer = Signer::new(Scheme::Hmac, secret);
                signer.update(black_box(plain));
                signer.finish()
            })
        });
        group.bench_with_input(BenchmarkId::new("seal", name), &plain, |b, plain| {
            b.iter(|| object::seal(&key, IDENTITY, black_box(plain)))
        });
        group.bench_with_input(BenchmarkId::new("open", name), &sealed, |b, sealed| {
            b.iter(|| object::open(&key, IDENTITY, black_box(sealed)).expect("opens"))
        });
        group.bench_with_input(BenchmarkId::new("open_stream", name), &pieces, |b, pieces| {
            b.iter(|| {
                // The stream must own its pieces: a clone of each (a reference count).
                let stored = stream::iter(black_box(pieces).clone().into_iter().map(Ok::<_, KeyError>));
                block_on(
                    object::open_stream(&key, IDENTITY, stored)
                        .fold(0usize, |n, chunk| async move { n + chunk.expect("opens").len() }),
                )
            })
        });
    }
    group.finish();
}

criterion_group!(benches, seal_and_open);
criterion_main!(benches);
