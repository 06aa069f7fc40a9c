//! Caller-thread cost of one `log()` and sustained throughput to a `.jsonl`
//! file: Mímir against the same-thread `serde_json` + `BufWriter` baseline,
//! `tracing-appender` (non-blocking, lossless) and `slog-async` (Block).
//!
//! Run with `cargo bench -p mimir-benches --bench log`.
#![allow(missing_docs, clippy::unwrap_used)]

use std::fs::File;
use std::io::{BufWriter, Write};
use std::time::{Duration, Instant};

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use serde::Serialize;
use serde_json::json;

/// The quickstart entry as a derived struct.
#[derive(Serialize)]
struct Step {
    iteration: u64,
    training_error: f64,
}

fn error(i: u64) -> f64 {
    1.0 / (i as f64 + 1.0)
}

fn mimir_logger(path: &std::path::Path) -> mimir::Logger {
    mimir::Logger::builder()
        .no_formatter()
        .filename(path)
        .build()
        .unwrap()
}

fn caller_cost(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut group = c.benchmark_group("log_caller_ns");
    group.throughput(Throughput::Elements(1));

    {
        let logger = mimir_logger(&dir.path().join("mimir-struct.jsonl"));
        let mut i = 0;
        group.bench_function("mimir/struct", |b| {
            b.iter(|| {
                i += 1;
                logger
                    .log(&Step {
                        iteration: i,
                        training_error: error(i),
                    })
                    .unwrap();
            })
        });
        logger.close().unwrap();
    }
    {
        let logger = mimir_logger(&dir.path().join("mimir-json.jsonl"));
        let mut i = 0;
        group.bench_function("mimir/json!", |b| {
            b.iter(|| {
                i += 1;
                logger
                    .log(&json!({"iteration": i, "training_error": error(i)}))
                    .unwrap();
            })
        });
        logger.close().unwrap();
    }
    {
        let mut out = BufWriter::new(File::create(dir.path().join("baseline.jsonl")).unwrap());
        let mut i = 0;
        group.bench_function("baseline_bufwriter/struct", |b| {
            b.iter(|| {
                i += 1;
                serde_json::to_writer(
                    &mut out,
                    &Step {
                        iteration: i,
                        training_error: error(i),
                    },
                )
                .unwrap();
                out.write_all(b"\n").unwrap();
            })
        });
        let mut i = 0;
        group.bench_function("baseline_bufwriter/json!", |b| {
            b.iter(|| {
                i += 1;
                serde_json::to_writer(
                    &mut out,
                    &json!({"iteration": i, "training_error": error(i)}),
                )
                .unwrap();
                out.write_all(b"\n").unwrap();
            })
        });
        out.flush().unwrap();
    }
    {
        use tracing_subscriber::layer::SubscriberExt;
        let file = File::create(dir.path().join("tracing.jsonl")).unwrap();
        let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
            .lossy(false)
            .finish(file);
        let subscriber = tracing_subscriber::registry()
            .with(tracing_subscriber::fmt::layer().json().with_writer(writer));
        let dispatch = tracing::Dispatch::new(subscriber);
        tracing::dispatcher::with_default(&dispatch, || {
            let mut i = 0u64;
            group.bench_function("tracing_appender/fields", |b| {
                b.iter(|| {
                    i += 1;
                    tracing::info!(iteration = i, training_error = error(i));
                })
            });
        });
        drop(guard);
    }
    {
        use slog::Drain;
        let file = File::create(dir.path().join("slog.jsonl")).unwrap();
        let drain = slog_json::Json::default(file).fuse();
        let drain = slog_async::Async::new(drain)
            .overflow_strategy(slog_async::OverflowStrategy::Block)
            .build()
            .fuse();
        let log = slog::Logger::root(drain, slog::o!());
        let mut i = 0u64;
        group.bench_function("slog_async_block/fields", |b| {
            b.iter(|| {
                i += 1;
                slog::info!(log, ""; "iteration" => i, "training_error" => error(i));
            })
        });
    }
    group.finish();
}

/// Entries written by one run of the throughput benchmarks.
const N: u64 = 200_000;

fn throughput(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut group = c.benchmark_group("jsonl_throughput");
    group.throughput(Throughput::Elements(N));
    group.sample_size(10);
    let path = dir.path().join("throughput.jsonl");

    group.bench_function("mimir_until_close", |b| {
        b.iter_batched(
            || {
                let _ = std::fs::remove_file(&path);
                mimir_logger(&path)
            },
            |logger| {
                for i in 0..N {
                    logger
                        .log(&Step {
                            iteration: i,
                            training_error: error(i),
                        })
                        .unwrap();
                }
                logger.close().unwrap();
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("baseline_bufwriter", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let _ = std::fs::remove_file(&path);
                let start = Instant::now();
                let mut out = BufWriter::new(File::create(&path).unwrap());
                for i in 0..N {
                    serde_json::to_writer(
                        &mut out,
                        &Step {
                            iteration: i,
                            training_error: error(i),
                        },
                    )
                    .unwrap();
                    out.write_all(b"\n").unwrap();
                }
                black_box(out.into_inner().unwrap());
                total += start.elapsed();
            }
            total
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = caller_cost, throughput
}
criterion_main!(benches);
