//! Test-only crash injection at gzlog.c's eight bail points (section 15).
//!
//! With the `crash-points` feature, [`set_crash_point`] arms point `n` so
//! that the process exits at once, without any cleanup and with the lock
//! left behind, on its (count+1)-th pass through `n`: the same numbering
//! and count rule as gzlog.c built with GZLOG_DEBUG. Without the feature
//! the points compile to nothing.

#[cfg(feature = "crash-points")]
use std::sync::atomic::{AtomicI64, AtomicU8, Ordering};

/// Exit status of a process that stopped at an armed crash point.
#[cfg(feature = "crash-points")]
pub const CRASH_EXIT_CODE: i32 = 86;

#[cfg(feature = "crash-points")]
static POINT: AtomicU8 = AtomicU8::new(0);
#[cfg(feature = "crash-points")]
static COUNT: AtomicI64 = AtomicI64::new(-1);

/// Arms crash point `point` (1..=8): the process exits with
/// [`CRASH_EXIT_CODE`] on its `count + 1`-th pass through it. `point` 0
/// disarms. For crash tests only; available with the `crash-points` feature.
#[cfg(feature = "crash-points")]
pub fn set_crash_point(point: u8, count: u32) {
    COUNT.store(i64::from(count), Ordering::SeqCst);
    POINT.store(point, Ordering::SeqCst);
}

#[cfg(feature = "crash-points")]
#[inline]
pub(crate) fn bail(point: u8) {
    if POINT.load(Ordering::Relaxed) == point && COUNT.fetch_sub(1, Ordering::SeqCst) == 0 {
        // No destructors, no unlock, no buffered writes: like a kill.
        std::process::exit(CRASH_EXIT_CODE);
    }
}

#[cfg(not(feature = "crash-points"))]
#[inline(always)]
pub(crate) fn bail(_point: u8) {}
