//! Formatters that show Mímir log entries to people.
//!
//! Each implements [`mimir_core::Format`], so it can be given to a logger's
//! `formatter(...)`:
//!
//! - [`Simple`], the default: one `key: value` per line, nested objects
//!   indented under their key, a blank line after each entry.
//! - [`Compact`]: one line per entry, `key=value` pairs.
//! - [`Json`]: the entry's JSON text, one line per entry.
//!
//! Strings are shown without quotes in `Simple` and `Compact`; arrays as
//! compact JSON.
//!
//! ```
//! use mimir_core::{Entry, Format};
//! use mimir_format::{Compact, Simple};
//!
//! let entry = Entry::new(&serde_json::json!({"iteration": 3, "optimizer": {"lr": 0.1}}))?;
//! let mut out = Vec::new();
//! Simple.format(&entry, &mut out)?;
//! assert_eq!(String::from_utf8(out)?, "iteration: 3\noptimizer:\n  lr: 0.1\n\n");
//! let mut out = Vec::new();
//! Compact.format(&entry, &mut out)?;
//! assert_eq!(String::from_utf8(out)?, "iteration=3 optimizer.lr=0.1\n");
//! Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! This crate has no cargo features.
#![deny(missing_docs)]

use std::io::{self, Write};

use mimir_core::{Entry, Format};
use serde_json::{Map, Value};

/// The default formatter: one `key: value` per line, nested objects indented
/// by two spaces under a `key:` line, and a blank line after each entry.
#[derive(Clone, Copy, Debug, Default)]
pub struct Simple;

/// A one-line formatter: `key=value` pairs separated by spaces; nested
/// objects are flattened with dotted keys (`optimizer.lr=0.1`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Compact;

/// The entry's JSON text, one line per entry (what the file holds).
#[derive(Clone, Copy, Debug, Default)]
pub struct Json;

impl Format for Simple {
    fn format(&mut self, entry: &Entry, out: &mut dyn Write) -> io::Result<()> {
        simple(entry.fields(), 0, out)?;
        out.write_all(b"\n")
    }
}

fn simple(fields: &Map<String, Value>, depth: usize, out: &mut dyn Write) -> io::Result<()> {
    for (key, value) in fields {
        write!(out, "{:indent$}{key}:", "", indent = 2 * depth)?;
        match value {
            Value::Object(inner) if !inner.is_empty() => {
                out.write_all(b"\n")?;
                simple(inner, depth + 1, out)?;
            }
            other => {
                out.write_all(b" ")?;
                scalar(other, out)?;
                out.write_all(b"\n")?;
            }
        }
    }
    Ok(())
}

impl Format for Compact {
    fn format(&mut self, entry: &Entry, out: &mut dyn Write) -> io::Result<()> {
        let mut first = true;
        compact(entry.fields(), "", &mut first, out)?;
        out.write_all(b"\n")
    }
}

fn compact(
    fields: &Map<String, Value>,
    prefix: &str,
    first: &mut bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    for (key, value) in fields {
        match value {
            Value::Object(inner) if !inner.is_empty() => {
                compact(inner, &format!("{prefix}{key}."), first, out)?;
            }
            other => {
                if !std::mem::take(first) {
                    out.write_all(b" ")?;
                }
                write!(out, "{prefix}{key}=")?;
                scalar(other, out)?;
            }
        }
    }
    Ok(())
}

impl Format for Json {
    fn format(&mut self, entry: &Entry, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(entry.as_bytes())?;
        out.write_all(b"\n")
    }
}

/// Strings bare, everything else as compact JSON.
fn scalar(value: &Value, out: &mut dyn Write) -> io::Result<()> {
    match value {
        Value::String(s) => out.write_all(s.as_bytes()),
        other => write!(out, "{other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(mut f: impl Format, json: &str) -> String {
        let mut out = Vec::new();
        f.format(&Entry::from_json(json).unwrap(), &mut out)
            .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn simple_indents_nested_objects() {
        let text = show(
            Simple,
            r#"{"a":1,"b":{"c":"x","d":{"e":[1,2]}},"f":{},"g":null}"#,
        );
        assert_eq!(
            text,
            "a: 1\nb:\n  c: x\n  d:\n    e: [1,2]\nf: {}\ng: null\n\n"
        );
    }

    #[test]
    fn compact_flattens_with_dots() {
        let text = show(Compact, r#"{"a":1,"b":{"c":"x","d":{"e":true}},"f":2.5}"#);
        assert_eq!(text, "a=1 b.c=x b.d.e=true f=2.5\n");
        assert_eq!(show(Compact, "{}"), "\n");
    }

    #[test]
    fn json_is_the_raw_line() {
        assert_eq!(show(Json, r#"{"a":"é"}"#), "{\"a\":\"é\"}\n");
    }

    #[test]
    fn keys_keep_log_order() {
        assert_eq!(show(Simple, r#"{"z":1,"a":2}"#), "z: 1\na: 2\n\n");
    }
}
