//! Crash-safe gzip logs (work in progress).
