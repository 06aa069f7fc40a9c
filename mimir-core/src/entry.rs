//! [`Entry`]: one log entry, serialized once and shared by every sink.

use std::cell::RefCell;
use std::fmt;
use std::io;
use std::ops::Index;
use std::sync::{Arc, OnceLock};

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter};
use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind};

/// One log entry: a JSON object, serialized once on the caller's thread.
///
/// Cloning an `Entry` is cheap (it holds an [`Arc`]): the ring buffer, the
/// file and the stream all share the same bytes. The parsed [`Value`] behind
/// indexing (`entry["loss"]`) is built lazily, on first use by a handle, and
/// kept by it and by the clones made from it afterwards.
///
/// Non-finite floats (`NaN`, `inf`) serialize as `null`, as in `serde_json`.
///
/// ```
/// use mimir_core::Entry;
/// use serde_json::json;
///
/// let entry = Entry::new(&json!({"iteration": 3, "loss": 0.25}))?;
/// assert_eq!(entry.as_str(), r#"{"iteration":3,"loss":0.25}"#);
/// assert_eq!(entry["iteration"], 3);
/// assert!(Entry::new(&json!([1, 2])).is_err());
/// # Ok::<(), mimir_core::Error>(())
/// ```
#[derive(Clone)]
pub struct Entry {
    // One allocation per entry, freed by whichever thread drops it last:
    // the hot path moves a pointer, not a tree.
    json: Arc<str>,
    // Parsed on first use by this handle (clones made after that share it).
    value: OnceLock<Arc<Value>>,
}

thread_local! {
    /// Serialization scratch space, reused so that `log` allocates once.
    static SCRATCH: RefCell<Vec<u8>> = RefCell::new(Vec::with_capacity(256));
}

impl Entry {
    /// Serializes `value`, which must serialize to a JSON object whose keys
    /// are strings.
    ///
    /// Costs one serialization (into a reused per-thread buffer) and one
    /// allocation; does no I/O. Returns an
    /// error of kind [`ErrorKind::NotAnObject`] for anything that is not an
    /// object (including maps with integer or other non-string keys, which
    /// `serde_json` would otherwise quietly turn into strings), and of kind
    /// [`ErrorKind::Serialize`] when `value`'s `Serialize` fails.
    pub fn new<T: Serialize + ?Sized>(value: &T) -> Result<Entry, Error> {
        SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
            Ok(mut buf) => Entry::serialize_into(value, &mut buf),
            // A `Serialize` impl that logs while being logged.
            Err(_) => Entry::serialize_into(value, &mut Vec::new()),
        })
    }

    fn serialize_into<T: Serialize + ?Sized>(
        value: &T,
        json: &mut Vec<u8>,
    ) -> Result<Entry, Error> {
        json.clear();
        let mut rejected = None;
        let result = value.serialize(&mut serde_json::Serializer::with_formatter(
            &mut *json,
            ObjectOnly::new(&mut rejected),
        ));
        if let Some(why) = rejected {
            return Err(Error::new(ErrorKind::NotAnObject, why));
        }
        if let Err(e) = result {
            return Err(Error::new(
                ErrorKind::Serialize,
                format!("entry failed to serialize: {e}"),
            )
            .with_source(e));
        }
        // serde_json writes UTF-8 only; the check is a formality that keeps
        // this crate free of unsafe code.
        let json = std::str::from_utf8(json).map_err(|e| {
            Error::new(ErrorKind::Serialize, "entry serialized to invalid UTF-8").with_source(e)
        })?;
        Ok(Entry {
            json: Arc::from(json),
            value: OnceLock::new(),
        })
    }

    /// Takes one line of JSON text (as read from a `.jsonl` file), which must
    /// hold a JSON object. The text is kept as given (minus surrounding white
    /// space); it is parsed once here to check it.
    pub fn from_json(text: impl Into<String>) -> Result<Entry, Error> {
        let mut text = text.into();
        let trimmed = text.trim();
        if trimmed.len() != text.len() {
            text = trimmed.to_owned();
        }
        let value: Value = serde_json::from_str(&text).map_err(|e| {
            Error::new(ErrorKind::Malformed, format!("invalid JSON: {e}")).with_source(e)
        })?;
        if !value.is_object() {
            return Err(Error::new(
                ErrorKind::NotAnObject,
                format!("expected a JSON object, found {}", kind_of(&value)),
            ));
        }
        Ok(Entry {
            json: Arc::from(text),
            value: OnceLock::from(Arc::new(value)),
        })
    }

    /// The entry as compact JSON text, without a trailing newline.
    pub fn as_str(&self) -> &str {
        &self.json
    }

    /// The entry as UTF-8 bytes of JSON, without a trailing newline.
    pub fn as_bytes(&self) -> &[u8] {
        self.json.as_bytes()
    }

    /// Length of the JSON text in bytes.
    pub fn len(&self) -> usize {
        self.json.len()
    }

    /// Whether the JSON text is empty; never true, an entry is at least `{}`.
    pub fn is_empty(&self) -> bool {
        self.json.is_empty()
    }

    /// The entry as a parsed JSON value (always an object). Parsed on first
    /// call, then cached; keys keep the order in which they were logged.
    pub fn value(&self) -> &Value {
        self.value.get_or_init(|| {
            // The text came from serde_json or was checked by `from_json`.
            Arc::new(serde_json::from_str(&self.json).unwrap_or_else(|_| Value::Object(Map::new())))
        })
    }

    /// The entry's fields, in the order they were logged.
    pub fn fields(&self) -> &Map<String, Value> {
        static EMPTY: OnceLock<Map<String, Value>> = OnceLock::new();
        match self.value() {
            Value::Object(map) => map,
            _ => EMPTY.get_or_init(Map::new),
        }
    }

    /// The value of field `key`, if the entry has it.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.fields().get(key)
    }
}

impl Index<&str> for Entry {
    type Output = Value;

    /// The value of field `key`, or `Value::Null` when the entry lacks it
    /// (like indexing a `serde_json::Value`; never panics).
    fn index(&self, key: &str) -> &Value {
        &self.value()[key]
    }
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Entry").field(&self.as_str()).finish()
    }
}

impl fmt::Display for Entry {
    /// Writes the compact JSON text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Entry) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Entry {}

impl Serialize for Entry {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value().serialize(serializer)
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A compact formatter that refuses, while serializing, anything that is not
/// a JSON object with string keys. Checking here costs nothing extra: the
/// value is serialized once and never converted to a `Value`.
struct ObjectOnly<'a> {
    depth: usize,
    started: bool,
    in_key: bool,
    rejected: &'a mut Option<String>,
}

impl<'a> ObjectOnly<'a> {
    fn new(rejected: &'a mut Option<String>) -> ObjectOnly<'a> {
        ObjectOnly {
            depth: 0,
            started: false,
            in_key: false,
            rejected,
        }
    }

    fn reject(&mut self, what: &str) -> io::Result<()> {
        let why = if self.in_key {
            format!("entry has a map key that is {what}; keys must be strings")
        } else {
            format!("entry must serialize to a JSON object, not {what}")
        };
        *self.rejected = Some(why);
        Err(io::Error::other("rejected"))
    }

    /// Called before writing any scalar value.
    fn scalar(&mut self, what: &str) -> io::Result<()> {
        if self.depth == 0 || self.in_key {
            return self.reject(what);
        }
        Ok(())
    }
}

macro_rules! scalar_writers {
    ($($name:ident: $ty:ty => $what:expr),* $(,)?) => {$(
        fn $name<W: ?Sized + io::Write>(&mut self, w: &mut W, v: $ty) -> io::Result<()> {
            self.scalar($what)?;
            CompactFormatter.$name(w, v)
        }
    )*};
}

impl Formatter for ObjectOnly<'_> {
    scalar_writers! {
        write_bool: bool => "a boolean",
        write_i8: i8 => "a number",
        write_i16: i16 => "a number",
        write_i32: i32 => "a number",
        write_i64: i64 => "a number",
        write_i128: i128 => "a number",
        write_u8: u8 => "a number",
        write_u16: u16 => "a number",
        write_u32: u32 => "a number",
        write_u64: u64 => "a number",
        write_u128: u128 => "a number",
        write_f32: f32 => "a number",
        write_f64: f64 => "a number",
        write_number_str: &str => "a number",
    }

    fn write_null<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.scalar("null")?;
        CompactFormatter.write_null(w)
    }

    fn begin_string<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        if self.depth == 0 {
            return self.reject("a string");
        }
        CompactFormatter.begin_string(w)
    }

    fn write_byte_array<W: ?Sized + io::Write>(&mut self, w: &mut W, v: &[u8]) -> io::Result<()> {
        self.scalar("a byte array")?;
        CompactFormatter.write_byte_array(w, v)
    }

    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        if self.depth == 0 || self.in_key {
            return self.reject("an array");
        }
        self.depth += 1;
        CompactFormatter.begin_array(w)
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth -= 1;
        CompactFormatter.end_array(w)
    }

    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        CompactFormatter.begin_array_value(w, first)
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        if self.depth == 0 && self.started {
            return self.reject("several values");
        }
        self.started = true;
        self.depth += 1;
        CompactFormatter.begin_object(w)
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth -= 1;
        CompactFormatter.end_object(w)
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.in_key = true;
        CompactFormatter.begin_object_key(w, first)
    }

    fn end_object_key<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.in_key = false;
        CompactFormatter.end_object_key(w)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        CompactFormatter.begin_object_value(w)
    }

    fn write_raw_fragment<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        if (self.depth == 0 && !fragment.trim_start().starts_with('{')) || self.in_key {
            return self.reject("a raw value that is not an object");
        }
        self.started = true;
        CompactFormatter.write_raw_fragment(w, fragment)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::BTreeMap;

    #[test]
    fn objects_serialize_compactly() {
        let e = Entry::new(&json!({"a": 1, "b": [1, 2, {"c": null}], "d": "x"})).unwrap();
        assert_eq!(e.as_str(), r#"{"a":1,"b":[1,2,{"c":null}],"d":"x"}"#);
        assert_eq!(e["b"][2]["c"], Value::Null);
        assert_eq!(e["missing"], Value::Null);
    }

    #[test]
    fn derived_structs_are_objects() {
        #[derive(Serialize)]
        struct Step {
            iteration: u32,
            training_error: f64,
        }
        let e = Entry::new(&Step {
            iteration: 7,
            training_error: 0.5,
        })
        .unwrap();
        assert_eq!(e.as_str(), r#"{"iteration":7,"training_error":0.5}"#);
        assert_eq!(e["iteration"], 7);
    }

    #[test]
    fn non_objects_are_rejected() {
        for value in [json!([1]), json!(3), json!("s"), json!(null), json!(true)] {
            let err = Entry::new(&value).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotAnObject, "{value}");
        }
        assert_eq!(Entry::new(&5u8).unwrap_err().kind(), ErrorKind::NotAnObject);
        assert_eq!(Entry::new(&()).unwrap_err().kind(), ErrorKind::NotAnObject);
    }

    #[test]
    fn non_string_keys_are_rejected_even_nested() {
        let mut m = BTreeMap::new();
        m.insert(1, "one");
        let err = Entry::new(&m).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotAnObject);
        assert!(err.to_string().contains("keys must be strings"), "{err}");
        let mut outer = BTreeMap::new();
        outer.insert("inner", m);
        assert_eq!(
            Entry::new(&outer).unwrap_err().kind(),
            ErrorKind::NotAnObject
        );
        let mut bools = BTreeMap::new();
        bools.insert(true, 1);
        assert_eq!(
            Entry::new(&bools).unwrap_err().kind(),
            ErrorKind::NotAnObject
        );
    }

    #[test]
    fn string_like_keys_are_accepted() {
        let mut m = BTreeMap::new();
        m.insert('k', 1);
        assert_eq!(Entry::new(&m).unwrap().as_str(), r#"{"k":1}"#);
    }

    #[test]
    fn a_failing_serialize_is_an_error_and_leaves_no_state() {
        struct Fails;
        impl Serialize for Fails {
            fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
                Err(serde::ser::Error::custom("no way"))
            }
        }
        let err = Entry::new(&Fails).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Serialize);
        assert!(err.to_string().contains("no way"));
        assert!(Entry::new(&json!({"ok": 1})).is_ok());
    }

    #[test]
    fn non_finite_floats_become_null() {
        let e = Entry::new(&json!({"x": f64::NAN})).unwrap();
        assert_eq!(e.as_str(), r#"{"x":null}"#);
        #[derive(Serialize)]
        struct S {
            x: f64,
        }
        assert_eq!(
            Entry::new(&S { x: f64::INFINITY }).unwrap().as_str(),
            r#"{"x":null}"#
        );
    }

    #[test]
    fn from_json_checks_objects() {
        let e = Entry::from_json(" {\"a\": 1}\n").unwrap();
        assert_eq!(e.as_str(), "{\"a\": 1}");
        assert_eq!(e["a"], 1);
        assert_eq!(
            Entry::from_json("[1]").unwrap_err().kind(),
            ErrorKind::NotAnObject
        );
        assert_eq!(
            Entry::from_json("{").unwrap_err().kind(),
            ErrorKind::Malformed
        );
    }

    #[test]
    fn keys_keep_their_order() {
        let e = Entry::from_json(r#"{"z":1,"a":2}"#).unwrap();
        let keys: Vec<_> = e.fields().keys().cloned().collect();
        assert_eq!(keys, ["z", "a"]);
    }
}
