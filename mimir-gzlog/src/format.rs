//! The on-disk layout of a gzlog file: header, extra field, stored blocks.
//!
//! Pure functions only; the file I/O lives in `log.rs`.

/// Maximum LEN of one stored block.
pub(crate) const MAX_STORE: u64 = 16384;
/// Bytes one full stored block occupies: LEN, NLEN, data, next header byte.
pub(crate) const BLOCK_STRIDE: u64 = 4 + MAX_STORE + 1;
/// Compress once the uncompressed tail holds at least this many bytes.
pub(crate) const TRIGGER: u64 = 1 << 20;
/// Deflate window, and so the largest useful preset dictionary.
pub(crate) const DICT: usize = 32768;
/// Longest tail gzlog.c 2.3 can still compress (205 stored blocks); we never
/// let the tail grow beyond it so that the other implementation can take
/// over any log we leave behind.
pub(crate) const MAX_TAIL: u64 = 205 * MAX_STORE;
/// Size of the gzip header plus the extra field.
pub(crate) const HEAD_LEN: usize = 16;
/// Size of the extra field's "ap" payload.
pub(crate) const EXTRA_LEN: usize = 35;
/// Offset where the deflate stream starts.
pub(crate) const STREAM_START: u64 = (HEAD_LEN + EXTRA_LEN) as u64;

/// The 16 bytes every gzlog file starts with.
pub(crate) const HEADER: [u8; HEAD_LEN] = [
    0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 39, 0, b'a', b'p', 35, 0,
];

/// The operation recorded as in progress in the extra field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// Appending the bytes kept in `P.add`.
    Append,
    /// Compressing the uncompressed tail (kept in `P.add`).
    Compress,
    /// Promoting `P.temp` to `P.dict` after a compression.
    Replace,
}

impl Operation {
    pub(crate) fn code(op: Option<Operation>) -> u8 {
        match op {
            None => 0,
            Some(Operation::Append) => 1,
            Some(Operation::Compress) => 2,
            Some(Operation::Replace) => 3,
        }
    }

    /// The word `P.repairs` uses for the operation.
    pub fn name(self) -> &'static str {
        match self {
            Operation::Append => "append",
            Operation::Compress => "compress",
            Operation::Replace => "replace",
        }
    }
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The decoded extra field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Extra {
    pub first: u64,
    pub last: u64,
    pub ccrc: u32,
    pub clen: u32,
    pub tcrc: u32,
    pub tlen: u32,
    pub stored: u64,
    pub back: u32,
    pub op: Option<Operation>,
}

/// The extra field of a fresh log.
pub(crate) const FRESH_EXTRA: Extra = Extra {
    first: 52,
    last: 52,
    ccrc: 0,
    clen: 0,
    tcrc: 0,
    tlen: 0,
    stored: 0,
    back: 8,
    op: None,
};

/// Why a header or extra field was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    NotGzlog(&'static str),
    Corrupt(String),
}

impl Extra {
    /// Decodes the first 51 bytes of a file, checking the header and the
    /// internal consistency of the extra field (not yet against the file).
    pub(crate) fn decode(buf: &[u8]) -> Result<Extra, Refusal> {
        if buf.len() < HEAD_LEN + EXTRA_LEN {
            return Err(Refusal::NotGzlog("shorter than a gzlog header"));
        }
        if buf[..HEAD_LEN] != HEADER {
            return Err(Refusal::NotGzlog("header differs from gzlog's"));
        }
        let x = &buf[HEAD_LEN..HEAD_LEN + EXTRA_LEN];
        let u64_at = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&x[i..i + 8]);
            u64::from_le_bytes(b)
        };
        let u32_at = |i: usize| u32::from_le_bytes([x[i], x[i + 1], x[i + 2], x[i + 3]]);
        let first = u64_at(0);
        let last = u64_at(8);
        let stored = u64::from(u16::from_le_bytes([x[32], x[33]]));
        let back = 3 + u32::from(x[34] & 7);
        let op = match (x[34] >> 3) & 3 {
            0 => None,
            1 => Some(Operation::Append),
            2 => Some(Operation::Compress),
            _ => Some(Operation::Replace),
        };
        let extra = Extra {
            first,
            last,
            ccrc: u32_at(16),
            clen: u32_at(20),
            tcrc: u32_at(24),
            tlen: u32_at(28),
            stored,
            back,
            op,
        };
        extra.check().map_err(Refusal::Corrupt)?;
        Ok(extra)
    }

    /// Checks the invariants of section 5 that need no file access.
    fn check(&self) -> Result<(), String> {
        // The first block's header bits must lie after the extra field.
        let min_first = STREAM_START + if self.back > 8 { 2 } else { 1 };
        // Signed 64-bit on disk; anything this large is garbage anyway.
        let limit = 1u64 << 62;
        if self.first < min_first || self.first > limit || self.last > limit {
            return Err(format!(
                "block offsets {} / {} out of range",
                self.first, self.last
            ));
        }
        if self.last < self.first || (self.last - self.first) % BLOCK_STRIDE != 0 {
            return Err(format!(
                "last block offset {} is not a whole number of blocks after {}",
                self.last, self.first
            ));
        }
        if self.stored > MAX_STORE {
            return Err(format!("stored length {} exceeds {MAX_STORE}", self.stored));
        }
        Ok(())
    }

    /// The 35 bytes written at offset 16 by a mark.
    pub(crate) fn encode(&self) -> [u8; EXTRA_LEN] {
        let mut x = [0u8; EXTRA_LEN];
        x[0..8].copy_from_slice(&self.first.to_le_bytes());
        x[8..16].copy_from_slice(&self.last.to_le_bytes());
        x[16..20].copy_from_slice(&self.ccrc.to_le_bytes());
        x[20..24].copy_from_slice(&self.clen.to_le_bytes());
        x[24..28].copy_from_slice(&self.tcrc.to_le_bytes());
        x[28..32].copy_from_slice(&self.tlen.to_le_bytes());
        // stored <= MAX_STORE < 2^16, checked on decode and kept by append.
        x[32..34].copy_from_slice(&(self.stored as u16).to_le_bytes());
        x[34] = (self.back - 3) as u8 | (Operation::code(self.op) << 3);
        x
    }

    /// Exact number of uncompressed bytes in the stored tail.
    pub(crate) fn tail_len(&self) -> u64 {
        (self.last - self.first) / BLOCK_STRIDE * MAX_STORE + self.stored
    }

    /// Offset just past the last stored block's data.
    pub(crate) fn tail_end(&self) -> u64 {
        self.last + 4 + self.stored
    }
}

/// The bytes of a fresh, empty log (section 5).
pub(crate) fn fresh_log() -> [u8; 64] {
    let mut b = [0u8; 64];
    b[..HEAD_LEN].copy_from_slice(&HEADER);
    b[HEAD_LEN..HEAD_LEN + EXTRA_LEN].copy_from_slice(&FRESH_EXTRA.encode());
    b[51..56].copy_from_slice(&[1, 0, 0, 0xff, 0xff]);
    b
}

/// Where set_last writes for the last block: returns (offset of the first
/// byte written, how many bytes back from `last` that is, and the bit index
/// of BFINAL in that byte).
pub(crate) fn last_header_site(extra: &Extra) -> (u64, u64, u32) {
    let back = if extra.last == extra.first {
        extra.back
    } else {
        8
    };
    let bit_addr = 8 * extra.last - u64::from(back);
    let len = if back > 8 { 2 } else { 1 };
    (bit_addr / 8, len, (bit_addr % 8) as u32)
}

/// The bytes set_last writes, given the current content of the byte that
/// holds the BFINAL bit (only its bits below the header are kept).
pub(crate) fn last_header_bytes(extra: &Extra, current: u8, final_block: bool) -> Vec<u8> {
    let (_, len, k) = last_header_site(extra);
    let keep = if k == 0 {
        0
    } else {
        current & ((1u8 << k) - 1)
    };
    let mut out = Vec::with_capacity(6);
    out.push(keep | (u8::from(final_block) << k));
    if len == 2 {
        out.push(0);
    }
    let stored = extra.stored as u16;
    out.extend_from_slice(&stored.to_le_bytes());
    out.extend_from_slice(&(stored ^ 0xffff).to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_log_is_the_64_bytes_of_the_spec() {
        let expected: [u8; 64] = [
            0x1f, 0x8b, 0x08, 0x04, 0, 0, 0, 0, 0, 0xff, 0x27, 0, 0x61, 0x70, 0x23, 0, //
            0x34, 0, 0, 0, 0, 0, 0, 0, 0x34, 0, 0, 0, 0, 0, 0, 0, //
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, //
            0, 0, 5, 1, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0,
        ];
        assert_eq!(fresh_log(), expected);
    }

    #[test]
    fn extra_round_trips_and_refuses_garbage() {
        let e = Extra {
            first: 1000,
            last: 1000 + 2 * BLOCK_STRIDE,
            ccrc: 7,
            clen: 8,
            tcrc: 9,
            tlen: 10,
            stored: 16384,
            back: 10,
            op: Some(Operation::Compress),
        };
        let mut buf = HEADER.to_vec();
        buf.extend_from_slice(&e.encode());
        assert_eq!(Extra::decode(&buf), Ok(e));
        assert_eq!(e.tail_len(), 3 * 16384);

        let mut bad = buf.clone();
        bad[24] = 1; // last no longer a whole number of blocks after first
        assert!(matches!(Extra::decode(&bad), Err(Refusal::Corrupt(_))));
        let mut bad = buf.clone();
        bad[16..24].copy_from_slice(&[0xff; 8]);
        assert!(matches!(Extra::decode(&bad), Err(Refusal::Corrupt(_))));
        let mut bad = buf.clone();
        bad[48..50].copy_from_slice(&16385u16.to_le_bytes());
        assert!(matches!(Extra::decode(&bad), Err(Refusal::Corrupt(_))));
        assert!(matches!(
            Extra::decode(&buf[..50]),
            Err(Refusal::NotGzlog(_))
        ));
        let mut gz = buf;
        gz[3] = 8; // FNAME instead of FEXTRA: an ordinary gzip file
        assert!(matches!(Extra::decode(&gz), Err(Refusal::NotGzlog(_))));
    }

    #[test]
    fn set_last_keeps_low_bits_and_handles_back_9_and_10() {
        let mut e = FRESH_EXTRA;
        assert_eq!(last_header_bytes(&e, 0xaa, true), vec![1, 0, 0, 0xff, 0xff]);
        e.first = 100;
        e.last = 100;
        e.back = 3; // header bits 5..7 of byte 99
        e.stored = 5;
        assert_eq!(last_header_site(&e), (99, 1, 5));
        assert_eq!(
            last_header_bytes(&e, 0xff, true),
            vec![0x3f, 5, 0, 0xfa, 0xff]
        );
        e.back = 10; // header starts at bit 6 of byte 98
        assert_eq!(last_header_site(&e), (98, 2, 6));
        assert_eq!(
            last_header_bytes(&e, 0xff, false),
            vec![0x3f, 0, 5, 0, 0xfa, 0xff]
        );
        e.last = 100 + BLOCK_STRIDE; // later blocks are byte-aligned
        assert_eq!(last_header_site(&e), (100 + BLOCK_STRIDE - 1, 1, 0));
    }
}
