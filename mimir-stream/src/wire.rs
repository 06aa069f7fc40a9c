//! The frames of the wire protocol (see `docs/wire-protocol.md`), shared by
//! the publisher and the subscriber.

use crate::error::{Error, ErrorKind};

/// The one-frame request a client sends to the snapshot socket.
pub const SNAPSHOT_REQUEST: &[u8] = b"ICANHAZ?";
/// First frame of the message that ends a snapshot.
pub const END_SEQUENCE: &[u8] = b"-1";
/// Second frame of the message that ends a snapshot: the JSON text of an
/// empty string, two `"` characters, as the original Python server sent.
pub const END_BODY: &[u8] = b"\"\"";

/// Writes `seq` in ASCII decimal into `buf` and returns the digits; no
/// allocation.
pub(crate) fn encode_sequence(seq: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut n = seq;
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &buf[at..]
}

/// What the first frame of a message says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sequence {
    /// An entry's sequence number (1 or more).
    Entry(u64),
    /// `-1`: the end of a snapshot.
    End,
}

/// Parses the first frame of an update or snapshot message.
pub(crate) fn decode_sequence(frame: &[u8]) -> Result<Sequence, Error> {
    if frame == END_SEQUENCE {
        return Ok(Sequence::End);
    }
    // Only plain digits: no sign, no spaces, no leading `+`.
    if frame.is_empty() || frame.len() > 20 || !frame.iter().all(u8::is_ascii_digit) {
        return Err(Error::new(
            ErrorKind::Protocol,
            format!(
                "expected a sequence number as the first frame, got {:?}",
                String::from_utf8_lossy(&frame[..frame.len().min(40)])
            ),
        ));
    }
    let value = frame
        .iter()
        .try_fold(0u64, |acc, d| {
            acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        })
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Protocol,
                format!(
                    "sequence number {} does not fit in 64 bits",
                    String::from_utf8_lossy(frame)
                ),
            )
        })?;
    Ok(Sequence::Entry(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequences_round_trip() {
        let mut buf = [0; 20];
        for seq in [0, 1, 9, 10, 12345, u64::MAX] {
            let text = encode_sequence(seq, &mut buf);
            assert_eq!(text, seq.to_string().as_bytes());
            assert_eq!(decode_sequence(text).unwrap(), Sequence::Entry(seq));
        }
    }

    #[test]
    fn end_marker_and_garbage() {
        assert_eq!(decode_sequence(b"-1").unwrap(), Sequence::End);
        for bad in [
            &b""[..],
            b"-2",
            b"+1",
            b" 1",
            b"1.0",
            b"abc",
            b"99999999999999999999",
        ] {
            let err = decode_sequence(bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Protocol, "{bad:?}");
        }
    }
}
