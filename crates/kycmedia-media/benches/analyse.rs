//! How long `analyse` takes on a full-HD JPEG, the common case of a phone
//! upload after the browser's resize: decode to luma, shrink to 512 px,
//! score. Run with `cargo bench -p kycmedia-media`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use kycmedia_media::{Context, Limits, MediaKind, analyse};

fn analyse_1920_jpeg(c: &mut Criterion) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/photo-1920.jpg");
    let bytes = std::fs::read(path).expect("fixtures/photo-1920.jpg (run fixtures/make.py)");
    let context = Context::parse(MediaKind::Image, "document-front").expect("a known context");
    let limits = Limits::default();
    c.bench_function("analyse photo-1920.jpg", |b| {
        b.iter(|| analyse(context, black_box(&bytes), &limits))
    });
}

criterion_group!(benches, analyse_1920_jpeg);
criterion_main!(benches);
