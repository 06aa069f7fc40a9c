//! Gzip logs: sustained entries/s of the facade writing the quickstart entry
//! to `.jsonl.gz` until `close()` returns, against a flate2 `GzEncoder` at
//! the same level streaming the same lines on one thread and against the
//! plain `.jsonl` sink; and the caller's ns per `log()` for `.jsonl.gz`
//! against `.jsonl`, in bursts that fit in the channel, each followed by
//! an untimed `flush()`. Prints the compressed sizes next to `gzip -6`'s.
//!
//! Run with `cargo bench -p mimir-benches --bench gzlog`.
#![allow(missing_docs, clippy::unwrap_used)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde::Serialize;

#[derive(Serialize)]
struct Step {
    iteration: u64,
    training_error: f64,
}

fn step(i: u64) -> Step {
    Step {
        iteration: i,
        training_error: 1.0 / (i as f64 + 1.0),
    }
}

/// Entries per run of the throughput benchmarks (about 9 MB of lines).
const N: u64 = 200_000;

fn logger(path: &Path) -> mimir::Logger {
    mimir::Logger::builder()
        .no_formatter()
        .filename(path)
        .build()
        .unwrap()
}

fn remove_log(dir: &Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        std::fs::remove_file(entry.unwrap().path()).unwrap();
    }
}

/// Times `runs` runs of `run`, each on an empty directory.
fn timed(runs: u64, dir: &Path, mut run: impl FnMut()) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..runs {
        remove_log(dir);
        let start = Instant::now();
        run();
        total += start.elapsed();
    }
    total
}

fn throughput(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut group = c.benchmark_group("gz_throughput");
    group.throughput(Throughput::Elements(N));
    group.sample_size(10);
    group.bench_function("mimir_jsonl_gz_until_close", |b| {
        b.iter_custom(|runs| {
            timed(runs, d, || {
                let logger = logger(&d.join("log.jsonl.gz"));
                (0..N).for_each(|i| logger.log(&step(i)).unwrap());
                logger.close().unwrap();
            })
        })
    });
    group.bench_function("baseline_gzencoder_one_thread", |b| {
        b.iter_custom(|runs| {
            timed(runs, d, || {
                let file = std::fs::File::create(d.join("enc.jsonl.gz")).unwrap();
                let mut enc = flate2::write::GzEncoder::new(
                    std::io::BufWriter::new(file),
                    flate2::Compression::new(6),
                );
                for i in 0..N {
                    serde_json::to_writer(&mut enc, &step(i)).unwrap();
                    enc.write_all(b"\n").unwrap();
                }
                enc.finish().unwrap().flush().unwrap();
            })
        })
    });
    group.bench_function("mimir_plain_jsonl_until_close", |b| {
        b.iter_custom(|runs| {
            timed(runs, d, || {
                let logger = logger(&d.join("log.jsonl"));
                (0..N).for_each(|i| logger.log(&step(i)).unwrap());
                logger.close().unwrap();
            })
        })
    });
    group.finish();
}

/// Entries per timed burst in the caller-cost benchmark: few enough to fit
/// in the channel, so that the caller's cost is measured, not the sink's
/// sustained speed (which `gz_throughput` measures).
const BURST: u64 = 20_000;

fn caller_cost(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut group = c.benchmark_group("gz_caller_ns");
    for name in ["log.jsonl.gz", "log.jsonl"] {
        let logger = logger(&dir.path().join(name));
        let mut i = 0;
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                let mut left = iters;
                while left > 0 {
                    let burst = left.min(BURST);
                    let start = Instant::now();
                    for _ in 0..burst {
                        i += 1;
                        logger.log(&step(i)).unwrap();
                    }
                    total += start.elapsed();
                    left -= burst;
                    // Untimed: let the worker write the burst out.
                    logger.flush().unwrap();
                }
                total
            })
        });
        logger.close().unwrap();
    }
    group.finish();
}

/// Prints the size of the facade's log next to `gzip -6` on the same lines.
fn sizes(_: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.jsonl.gz");
    let logger = logger(&path);
    (0..N).for_each(|i| logger.log(&step(i)).unwrap());
    logger.close().unwrap();
    let text = Command::new("zcat").arg(&path).output().unwrap().stdout;
    let mut gzip = Command::new("gzip")
        .arg("-6")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = gzip.stdin.take().unwrap();
    let len = text.len();
    let feeder = std::thread::spawn(move || stdin.write_all(&text).unwrap());
    let gzip_size = gzip.wait_with_output().unwrap().stdout.len();
    feeder.join().unwrap();
    let ours = std::fs::metadata(&path).unwrap().len();
    println!(
        "gz_size: {len} bytes of lines -> mimir .jsonl.gz {ours} bytes after close(), \
         gzip -6 {gzip_size} bytes ({:.3}x)",
        ours as f64 / gzip_size as f64
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = sizes, throughput, caller_cost
}
criterion_main!(benches);
