//! How long `analyse` takes on one core for the two sizes uploads come in:
//! a 1920×1080 frame (a browser's capture) and a 4000×3000 photo (a phone
//! camera's 12 MP). The photos are made by `bench/make_photos.py` from
//! real photos shipped in packages; `bench/analyse-vs-opencv.sh` runs this
//! and the same pipeline in OpenCV and prints the ratio.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use kycmedia_media::{Context, Limits, MediaKind, analyse};

/// Where `bench/make_photos.py` wrote the photos (`KYCMEDIA_BENCH_PHOTOS`,
/// else `target/bench-photos` in the workspace).
fn photo(name: &str) -> Vec<u8> {
    let dir = std::env::var_os("KYCMEDIA_BENCH_PHOTOS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/bench-photos")));
    let path = dir.join(name);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; make the photos first: python3 bench/make_photos.py {}",
            path.display(),
            dir.display()
        )
    })
}

fn analyse_photos(c: &mut Criterion) {
    let limits = Limits::default();
    let mut group = c.benchmark_group("analyse");
    for size in ["1920x1080", "4000x3000"] {
        let bytes = photo(&format!("photo-{size}.jpg"));
        for context in ["face", "document-front", "document-back-barcode"] {
            let ctx = Context::parse(MediaKind::Image, context).expect("a known context");
            group.bench_function(format!("{context}/{size}"), |b| {
                b.iter(|| analyse(ctx, black_box(&bytes), &limits))
            });
        }
    }
    group.finish();
}

/// The formats without a pure-Rust decoder, from the committed fixtures of
/// `tests/formats.rs`: an H.264 selfie clip judged from three keyframes, and
/// a phone's HEIC (feature `heif`) beside the same photo as JPEG.
fn analyse_formats(c: &mut Criterion) {
    let limits = Limits::default();
    let fixture = |name: &str| {
        let path = format!("{}/tests/fixtures/formats/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    };
    let mut group = c.benchmark_group("formats");
    let mut files = vec![("selfid_video", "face.mp4"), ("face", "photo.jpg")];
    if cfg!(feature = "heif") {
        files.push(("face", "photo.heic"));
    }
    for (context, name) in files {
        let ctx = Context::parse(MediaKind::Image, context)
            .or_else(|| Context::parse(MediaKind::Video, context))
            .expect("a known context");
        let bytes = fixture(name);
        group.bench_function(format!("{context}/{name}"), |b| {
            b.iter(|| analyse(ctx, black_box(&bytes), &limits))
        });
    }
    group.finish();
}

/// Photographed documents (`tests/fixtures/documents/make.py`, committed):
/// what document quality costs where there is a card to judge, a zone to
/// find and read, and where there is a card with no zone.
fn analyse_documents(c: &mut Criterion) {
    let limits = Limits::default();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/documents");
    let mut group = c.benchmark_group("documents");
    for (name, context) in [
        ("passport-td3.jpg", "document-front"),
        ("id-td1-back.jpg", "document-back"),
        ("id-front.jpg", "document-front"),
    ] {
        let bytes = std::fs::read(format!("{dir}/{name}")).unwrap_or_else(|e| panic!("{name}: {e}"));
        let ctx = Context::parse(MediaKind::Image, context).expect("a known context");
        group.bench_function(format!("{context}/{name}"), |b| {
            b.iter(|| analyse(ctx, black_box(&bytes), &limits))
        });
    }
    group.finish();
}

criterion_group!(benches, analyse_formats, analyse_photos, analyse_documents);
criterion_main!(benches);
