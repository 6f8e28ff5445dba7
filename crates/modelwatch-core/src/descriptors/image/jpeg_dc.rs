//! A baseline JPEG at 1/8 scale from its DC coefficients alone, for the reduced-work mode
//! ([`super::scale`]).
//!
//! In a JPEG every component is cut into 8 x 8 blocks, and the first (DC) coefficient of a
//! block's discrete cosine transform is `F(0,0) = sum(f(x, y) - 128) / 8` (ITU-T T.81,
//! A.3.3), so `F(0,0) / 8 + 128` is the block's mean sample. Reading only those gives the
//! image at 1/8 scale with each pixel the mean of its 8 x 8 block, which is what decoding in
//! full and averaging the blocks gives (up to the decoders' rounding and chroma upsampling),
//! without any inverse DCT, upsampling or colour conversion of the full image. The Huffman
//! codes of the other 63 coefficients still have to be read to find where the next block
//! starts, but their values are skipped, not decoded.
//!
//! Only the common case is read here: 8-bit baseline or extended-sequential Huffman JPEG
//! (SOF0, SOF1), one grey component or three YCbCr components, all in one interleaved scan
//! (or one non-interleaved scan of a grey image), with or without restart markers. Anything
//! else (progressive, arithmetic coding, 12-bit, CMYK, RGB-coded, several scans, or a stream
//! this reader finds malformed) gives `None`, and the caller decodes the file in full, so that
//! such a file is described as well as without the setting and a broken file is reported with
//! the full decoder's reason.
//!
//! Colours use the JFIF conversion (ITU-T T.871): `R = Y + 1.402 (Cr - 128)`,
//! `G = Y - 0.344136 (Cb - 128) - 0.714136 (Cr - 128)`, `B = Y + 1.772 (Cb - 128)`, applied
//! to the block means (the conversion is linear, so the mean of the converted block is the
//! conversion of the means, up to clamping to 0-255). A subsampled chroma component has
//! fewer blocks than the output has pixels; its block means are interpolated between block
//! centres, as the full decoder upsamples chroma.

use std::cell::RefCell;
use std::rc::Rc;

use ::image::RgbImage;

/// A Huffman table: a lookup on the next [`LOOKUP_BITS`] bits for short codes, and the
/// canonical code ranges of T.81 Annex F.2.2.3 for the longer ones.
struct Huffman {
    /// `(symbol, code length)` for each value of the next [`LOOKUP_BITS`] bits; length 0
    /// when the code is longer.
    lookup: Vec<(u8, u8)>,
    /// For each value of the next [`LOOKUP_BITS`] bits: the code's length plus the number of
    /// value bits its symbol announces (the low four bits of an AC symbol), when both fit in
    /// those bits; 0 otherwise. Skipping an AC coefficient is then one lookup and one shift.
    skip: Vec<u8>,
    /// For each value of the next [`RUN_BITS`] bits, the AC coefficients that lie wholly in
    /// them, codes and value bits, read as one step (see [`Huffman::runs`]); 0 when not even
    /// the first fits.
    runs: Vec<u16>,
    /// For each length 1–16: the largest code of that length, or -1.
    max_code: [i32; 17],
    /// For each length: index into `symbols` of its first code, minus that code.
    offset: [i32; 17],
    symbols: Vec<u8>,
}

/// The four table slots of one class (DC or AC) a JPEG may define.
type Tables = [Option<Rc<Huffman>>; 4];

/// An entry of the per-thread table cache: whether it is an AC table, the DHT counts and
/// symbols it was built from, and the table.
type CachedTable = (bool, Vec<u8>, Rc<Huffman>);

const LOOKUP_BITS: u32 = 11;

/// The width of the [`Huffman::runs`] lookup: wide enough that most entries hold two or
/// three short AC coefficients, small enough (16,384 entries of two bytes) to stay in cache.
const RUN_BITS: u32 = 14;

/// In an entry of [`Huffman::runs`]: the bits the coefficients take (low 5 bits), how far
/// they move the zig-zag position (the next 6 bits), and whether the last one is the
/// end-of-block code.
const RUN_END_OF_BLOCK: u16 = 1 << 11;

impl Huffman {
    /// The table of a DHT segment's 16 code counts and symbols, from a small per-thread
    /// cache: building the lookups costs about as much as reading a small photo's
    /// coefficients, and most photos of one camera or encoder carry the same tables.
    fn cached(counts: &[u8; 16], symbols: &[u8], ac: bool) -> Option<Rc<Self>> {
        const KEPT: usize = 8;
        thread_local! {
            static TABLES: RefCell<Vec<CachedTable>> = const { RefCell::new(Vec::new()) };
        }
        let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
        let symbols = symbols.get(..total)?;
        let same = |key: &[u8]| {
            key.len() == 16 + total && key[..16] == counts[..] && key[16..] == *symbols
        };
        TABLES.with(|cell| {
            let mut tables = cell.borrow_mut();
            if let Some(i) = tables.iter().position(|(a, key, _)| *a == ac && same(key)) {
                let entry = tables.remove(i);
                let table = Rc::clone(&entry.2);
                tables.insert(0, entry);
                return Some(table);
            }
            let table = Rc::new(Self::new(counts, symbols, ac)?);
            tables.truncate(KEPT - 1);
            tables.insert(0, (ac, [&counts[..], symbols].concat(), Rc::clone(&table)));
            Some(table)
        })
    }

    /// Builds a table from the 16 code counts and the symbols of a DHT segment; the
    /// [`Huffman::runs`] lookup only for an AC table (`ac`).
    fn new(counts: &[u8; 16], symbols: &[u8], ac: bool) -> Option<Self> {
        let mut lookup = vec![(0u8, 0u8); 1 << LOOKUP_BITS];
        let mut max_code = [-1i32; 17];
        let mut offset = [0i32; 17];
        let mut code: i32 = 0;
        let mut k = 0usize;
        for length in 1..=16u32 {
            let n = usize::from(counts[length as usize - 1]);
            if n > 0 {
                offset[length as usize] = k as i32 - code;
                for _ in 0..n {
                    let symbol = *symbols.get(k)?;
                    if code >= 1 << length {
                        return None;
                    }
                    if length <= LOOKUP_BITS {
                        let shift = LOOKUP_BITS - length;
                        let first = (code as usize) << shift;
                        for entry in &mut lookup[first..first + (1 << shift)] {
                            *entry = (symbol, length as u8);
                        }
                    }
                    code += 1;
                    k += 1;
                }
                max_code[length as usize] = code - 1;
            }
            code <<= 1;
        }
        let skip = lookup
            .iter()
            .map(|&(symbol, length)| {
                let total = u32::from(length) + u32::from(symbol & 15);
                if length > 0 && total <= LOOKUP_BITS {
                    total as u8
                } else {
                    0
                }
            })
            .collect();
        let symbols = symbols[..k].to_vec();
        let runs = if ac { Self::runs(&lookup) } else { Vec::new() };
        Some(Self {
            lookup,
            skip,
            runs,
            max_code,
            offset,
            symbols,
        })
    }

    /// The [`Huffman::runs`] lookup: for each value of the next [`RUN_BITS`] bits, the AC
    /// symbols read from it one after the other for as long as a symbol's code (of at most
    /// [`LOOKUP_BITS`] bits) and value bits lie wholly inside it, up to and including an
    /// end-of-block code. An entry sums their bits and their zig-zag steps (run + 1, or 16
    /// for the zero run `F0`); the caller takes it only when those steps stay inside the
    /// block, since past position 63 the next code belongs to the next block's DC table.
    ///
    /// Built from the shortest strings up: the entry of an r-bit string is its first symbol
    /// followed by the entry of the string left after it, so each of the 2^15 entries of
    /// all lengths costs one lookup (the table is built for each new set of tables a file
    /// carries, so its cost counts).
    fn runs(lookup: &[(u8, u8)]) -> Vec<u16> {
        let mut shorter: Vec<Vec<u16>> = Vec::with_capacity(RUN_BITS as usize + 1);
        for r in 0..=RUN_BITS {
            let entries = (0..1u32 << r)
                .map(|v| {
                    let index = if r >= LOOKUP_BITS {
                        v >> (r - LOOKUP_BITS)
                    } else {
                        v << (LOOKUP_BITS - r)
                    };
                    let (rs, length) = lookup[index as usize];
                    let used = u32::from(length) + u32::from(rs & 15);
                    if length == 0 || used > r {
                        return 0;
                    }
                    let steps = match rs {
                        0xF0 => 16,
                        _ if rs & 15 == 0 => return used as u16 | RUN_END_OF_BLOCK,
                        _ => u32::from(rs >> 4) + 1,
                    };
                    let first = used as u16 | (steps as u16) << 5;
                    let rest = shorter[(r - used) as usize][(v & ((1 << (r - used)) - 1)) as usize];
                    let rest_steps = u32::from(rest >> 5 & 63);
                    if rest == 0 || steps + rest_steps > 63 {
                        return first;
                    }
                    (used + u32::from(rest & 31)) as u16
                        | ((steps + rest_steps) as u16) << 5
                        | (rest & RUN_END_OF_BLOCK)
                })
                .collect();
            shorter.push(entries);
        }
        shorter.pop().unwrap_or_default()
    }
}

/// Reads the entropy-coded data of a scan bit by bit: removes the stuffed `00` after each
/// `FF` byte and stops in front of a marker, after which it gives zeros.
struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    /// The next bits, most significant first.
    buffer: u64,
    count: u32,
}

impl<'a> Bits<'a> {
    fn new(data: &'a [u8], pos: usize) -> Self {
        Self {
            data,
            pos,
            buffer: 0,
            count: 0,
        }
    }

    /// Makes at least 32 bits available: one Huffman code (at most 16 bits) and the value
    /// bits it announces (at most 16). When fewer are held it fills the buffer to at least
    /// 57 bits, so that it works once every few coefficients.
    #[inline]
    fn refill(&mut self) {
        if self.count >= 32 {
            return;
        }
        // Most of the time the next eight bytes hold no `FF` (no stuffing, no marker): take
        // as many whole bytes as the buffer has room for in one step.
        if let Some(chunk) = self.data.get(self.pos..self.pos + 8) {
            let word = u64::from_be_bytes(chunk.try_into().expect("eight bytes"));
            let inverted = !word;
            let has_ff =
                inverted.wrapping_sub(0x0101_0101_0101_0101) & !inverted & 0x8080_8080_8080_8080;
            if has_ff == 0 {
                let bytes = (64 - self.count) / 8;
                let bits = bytes * 8;
                // `bits` is 8..=64; the top `bits` bits of `word` go just below the ones held.
                let taken = if bits == 64 {
                    word
                } else {
                    word >> (64 - bits)
                };
                self.buffer |= taken << (64 - self.count - bits);
                self.count += bits;
                self.pos += bytes as usize;
                return;
            }
        }
        while self.count <= 56 {
            let mut byte = 0;
            if let Some(&b) = self.data.get(self.pos) {
                if b != 0xFF {
                    byte = b;
                    self.pos += 1;
                } else if self.data.get(self.pos + 1) == Some(&0) {
                    byte = 0xFF;
                    self.pos += 2;
                }
                // Otherwise a marker: stay in front of it and give zeros.
            }
            self.buffer |= u64::from(byte) << (56 - self.count);
            self.count += 8;
        }
    }

    #[inline]
    fn consume(&mut self, n: u32) {
        self.buffer <<= n;
        self.count -= n;
    }

    /// The next Huffman symbol, with at least 16 bits left available after it for its value
    /// (`None` for a code the table does not hold).
    #[inline]
    fn symbol(&mut self, table: &Huffman) -> Option<u8> {
        self.refill();
        let (symbol, length) = table.lookup[(self.buffer >> (64 - LOOKUP_BITS)) as usize];
        if length > 0 {
            self.consume(u32::from(length));
            return Some(symbol);
        }
        for length in LOOKUP_BITS + 1..=16 {
            let code = (self.buffer >> (64 - length)) as i32;
            if code <= table.max_code[length as usize] {
                self.consume(length);
                let index = table.offset[length as usize] + code;
                return table.symbols.get(usize::try_from(index).ok()?).copied();
            }
        }
        None
    }

    /// `n` (at most 16) bits as a signed coefficient value (T.81 F.2.2.1 `EXTEND`).
    #[inline]
    fn signed(&mut self, n: u32) -> i32 {
        if n == 0 {
            return 0;
        }
        let v = (self.buffer >> (64 - n)) as i32;
        self.consume(n);
        if v < 1 << (n - 1) {
            v - (1 << n) + 1
        } else {
            v
        }
    }

    /// Skips to just after the next restart marker (an interval's last byte may hold
    /// padding bits the reader never needed); `None` when another marker comes first.
    fn restart(&mut self) -> Option<()> {
        self.buffer = 0;
        self.count = 0;
        loop {
            let pair = self.data.get(self.pos..self.pos + 2)?;
            if pair[0] == 0xFF && (0xD0..=0xD7).contains(&pair[1]) {
                self.pos += 2;
                return Some(());
            }
            if pair[0] == 0xFF && pair[1] != 0 {
                return None;
            }
            self.pos += 1;
        }
    }
}

#[derive(Clone, Copy)]
struct Component {
    id: u8,
    h: u32,
    v: u32,
    quant: usize,
    dc_table: usize,
    ac_table: usize,
}

/// The image at 1/8 scale, `ceil(width / 8) x ceil(height / 8)` pixels each the mean of its
/// 8 x 8 block, and the number of colour components (1 grey, 3 colour); `None` for a JPEG
/// this reader leaves to the full decoder (see the module documentation). `expected` is
/// the size the full decoder read from the header, which the pixel limit was checked on:
/// a file whose frame says otherwise (a second frame header, say) is left to that decoder,
/// so that no buffer is sized from a header the limit never saw.
pub fn decode_dc(bytes: &[u8], expected: (u32, u32)) -> Option<(RgbImage, u8)> {
    if bytes.get(..2)? != [0xFF, 0xD8] {
        return None;
    }
    let mut pos = 2;
    let mut quant = [None::<[i32; 4]>; 4];
    let mut dc_tables: Tables = Default::default();
    let mut ac_tables: Tables = Default::default();
    let mut frame: Option<(u32, u32, Vec<Component>)> = None;
    let mut restart_interval = 0u32;
    loop {
        // Markers may be preceded by any number of fill bytes FF.
        if *bytes.get(pos)? != 0xFF {
            return None;
        }
        while *bytes.get(pos)? == 0xFF {
            pos += 1;
        }
        let marker = *bytes.get(pos)?;
        pos += 1;
        if marker == 0x01 || (0xD0..=0xD8).contains(&marker) {
            continue;
        }
        let length = usize::from(u16::from_be_bytes([*bytes.get(pos)?, *bytes.get(pos + 1)?]));
        if length < 2 {
            return None;
        }
        let segment = bytes.get(pos + 2..pos + length)?;
        pos += length;
        match marker {
            0xC0 | 0xC1 => {
                // One frame per baseline image; a second is left to the full decoder.
                if frame.is_some() || segment.len() < 6 || segment[0] != 8 {
                    return None;
                }
                let height = u32::from(u16::from_be_bytes([segment[1], segment[2]]));
                let width = u32::from(u16::from_be_bytes([segment[3], segment[4]]));
                let n = usize::from(segment[5]);
                if (width, height) != expected || !(n == 1 || n == 3) {
                    return None;
                }
                let mut components = Vec::with_capacity(n);
                for c in segment.get(6..6 + 3 * n)?.chunks_exact(3) {
                    let (h, v) = (u32::from(c[1] >> 4), u32::from(c[1] & 15));
                    if !(1..=4).contains(&h) || !(1..=4).contains(&v) || c[2] > 3 {
                        return None;
                    }
                    // Two components of one id would leave one without its tables.
                    if components.iter().any(|k: &Component| k.id == c[0]) {
                        return None;
                    }
                    components.push(Component {
                        id: c[0],
                        h,
                        v,
                        quant: usize::from(c[2]),
                        dc_table: 0,
                        ac_table: 0,
                    });
                }
                // Components named R, G, B are coded as RGB, not YCbCr.
                if components.iter().map(|c| c.id).eq([b'R', b'G', b'B']) {
                    return None;
                }
                frame = Some((width, height, components));
            }
            // Any other frame type: progressive, lossless, arithmetic-coded, hierarchical.
            0xC2 | 0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => return None,
            0xC4 => {
                let mut rest = segment;
                while !rest.is_empty() {
                    let (class, id) = (rest[0] >> 4, usize::from(rest[0] & 15));
                    let counts: &[u8; 16] = rest.get(1..17)?.try_into().ok()?;
                    let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
                    let symbols = rest.get(17..17 + total)?;
                    match (class, id) {
                        (0, 0..=3) => {
                            dc_tables[id] = Some(Huffman::cached(counts, symbols, false)?)
                        }
                        (1, 0..=3) => ac_tables[id] = Some(Huffman::cached(counts, symbols, true)?),
                        _ => return None,
                    }
                    rest = &rest[17 + total..];
                }
            }
            0xDB => {
                let mut rest = segment;
                while !rest.is_empty() {
                    let (precision, id) = (rest[0] >> 4, usize::from(rest[0] & 15));
                    if id > 3 {
                        return None;
                    }
                    // The quantisers of the coefficients kept: zig-zag positions 0, 1, 2, 4.
                    let size = match precision {
                        0 => 65,
                        1 => 129,
                        _ => return None,
                    };
                    let values = rest.get(1..size)?;
                    let at = |i: usize| match precision {
                        0 => i32::from(values[i]),
                        _ => i32::from(u16::from_be_bytes([values[2 * i], values[2 * i + 1]])),
                    };
                    quant[id] = Some([at(0), at(1), at(2), at(4)]);
                    rest = &rest[size..];
                }
            }
            0xDD => {
                restart_interval =
                    u32::from(u16::from_be_bytes([*segment.first()?, *segment.get(1)?]));
            }
            // Adobe's APP14 with transform 0: three components that are RGB, not YCbCr.
            0xEE if segment.starts_with(b"Adobe") && segment.get(11) == Some(&0) => {
                return None;
            }
            0xDA => {
                let (width, height, mut components) = frame?;
                let n = usize::from(*segment.first()?);
                if n != components.len() {
                    return None;
                }
                // Each component of the frame exactly once: a repeated id would leave
                // another component on tables it never named.
                let mut named = Vec::with_capacity(n);
                for s in segment.get(1..1 + 2 * n)?.chunks_exact(2) {
                    if named.contains(&s[0]) {
                        return None;
                    }
                    named.push(s[0]);
                    let c = components.iter_mut().find(|c| c.id == s[0])?;
                    c.dc_table = usize::from(s[1] >> 4);
                    c.ac_table = usize::from(s[1] & 15);
                }
                return scan(
                    bytes,
                    pos,
                    (width, height),
                    &components,
                    &quant,
                    (&dc_tables, &ac_tables),
                    restart_interval,
                );
            }
            0xD9 => return None,
            _ => {}
        }
    }
}

/// Decodes the DC coefficients of the scan whose entropy-coded data starts at `pos`, and
/// turns the block means into pixels.
fn scan(
    bytes: &[u8],
    pos: usize,
    (width, height): (u32, u32),
    components: &[Component],
    quant: &[Option<[i32; 4]>; 4],
    (dc_tables, ac_tables): (&Tables, &Tables),
    restart_interval: u32,
) -> Option<(RgbImage, u8)> {
    let h_max = components.iter().map(|c| c.h).max()?;
    let v_max = components.iter().map(|c| c.v).max()?;
    // One component alone is not interleaved: its blocks cover its own size, one by one.
    let single = components.len() == 1;
    let (mcus_x, mcus_y) = if single {
        (width.div_ceil(8), height.div_ceil(8))
    } else {
        (width.div_ceil(8 * h_max), height.div_ceil(8 * v_max))
    };
    let mut planes = Vec::with_capacity(components.len());
    // A subsampled component keeps its first AC coefficients too (see `block_quarters`).
    let mut subsampled = Vec::with_capacity(components.len());
    let mut tables = Vec::with_capacity(components.len());
    for c in components {
        let (bw, bh) = if single { (1, 1) } else { (c.h, c.v) };
        let plane_w = (mcus_x * bw) as usize;
        planes.push((
            plane_w,
            vec![[0i32; 4]; plane_w * (mcus_y * bh) as usize],
            bw,
            bh,
        ));
        subsampled.push(!single && (c.h < h_max || c.v < v_max));
        tables.push((
            dc_tables[c.dc_table].as_deref()?,
            ac_tables[c.ac_table].as_deref()?,
        ));
    }
    let mut bits = Bits::new(bytes, pos);
    let mut predictors = vec![0i32; components.len()];
    let total = mcus_x.checked_mul(mcus_y)?;
    for mcu in 0..total {
        if restart_interval > 0 && mcu > 0 && mcu % restart_interval == 0 {
            bits.restart()?;
            predictors.iter_mut().for_each(|p| *p = 0);
        }
        let (mx, my) = (mcu % mcus_x, mcu / mcus_x);
        for (i, (plane_w, plane, bw, bh)) in planes.iter_mut().enumerate() {
            let (dc_table, ac_table) = tables[i];
            for by in 0..*bh {
                for bx in 0..*bw {
                    let size = u32::from(bits.symbol(dc_table)?);
                    if size > 11 {
                        return None;
                    }
                    predictors[i] = predictors[i].wrapping_add(bits.signed(size));
                    let (x, y) = ((mx * *bw + bx) as usize, (my * *bh + by) as usize);
                    let block = &mut plane[y * *plane_w + x];
                    block[0] = predictors[i];
                    // The AC coefficients: read past their codes and values (keeping those
                    // at zig-zag positions 1, 2 and 4 of a subsampled component).
                    let keep = subsampled[i];
                    let mut k = 1;
                    while k < 64 {
                        // Past the kept positions a coefficient whose code and value bits
                        // fit the lookup is skipped in one step.
                        if !keep || k > 4 {
                            bits.refill();
                            // Several coefficients at once while they stay in the block.
                            let run = ac_table.runs[(bits.buffer >> (64 - RUN_BITS)) as usize];
                            let steps = u32::from(run >> 5 & 63);
                            if run != 0 && k + steps <= 63 {
                                bits.consume(u32::from(run & 31));
                                k += steps;
                                if run & RUN_END_OF_BLOCK != 0 {
                                    break;
                                }
                                continue;
                            }
                            let index = (bits.buffer >> (64 - LOOKUP_BITS)) as usize;
                            let total = ac_table.skip[index];
                            if total > 0 {
                                let rs = ac_table.lookup[index].0;
                                bits.consume(u32::from(total));
                                let (run, size) = (u32::from(rs >> 4), rs & 15);
                                if size == 0 {
                                    if run != 15 {
                                        break;
                                    }
                                    k += 16;
                                } else {
                                    k += run + 1;
                                }
                                continue;
                            }
                        }
                        let rs = bits.symbol(ac_table)?;
                        let (run, size) = (u32::from(rs >> 4), u32::from(rs & 15));
                        if size == 0 {
                            if run != 15 {
                                break;
                            }
                            k += 16;
                        } else {
                            k += run;
                            match (keep, k) {
                                (true, 1) => block[1] = bits.signed(size),
                                (true, 2) => block[2] = bits.signed(size),
                                (true, 4) => block[3] = bits.signed(size),
                                _ => bits.consume(size),
                            }
                            k += 1;
                        }
                    }
                }
            }
        }
    }
    // Block means, then pixels. Output pixel (x, y) is the full-size block from (8x, 8y);
    // a component subsampled by f = h_max / h has one block per f output pixels, whose
    // centre lies at output position f (u + 1/2) - 1/2: the value at (x, y) is interpolated
    // bilinearly between the nearest block centres (at the image's edges, the nearest
    // block), which for 2:1 subsampling gives the 3/4, 1/4 weights of libjpeg's "fancy"
    // upsampling.
    let (out_w, out_h) = (width.div_ceil(8), height.div_ceil(8));
    let mut means = Vec::with_capacity(components.len());
    for ((c, (plane_w, plane, _, _)), &sub) in components.iter().zip(&planes).zip(&subsampled) {
        let q = quant[c.quant]?;
        if !single && (h_max % c.h != 0 || v_max % c.v != 0) {
            return None;
        }
        let (mut fx, mut fy) = if single {
            (1.0, 1.0)
        } else {
            ((h_max / c.h) as f32, (v_max / c.v) as f32)
        };
        // The component's size in its own samples, and in blocks without the padding of
        // the last MCU.
        let (comp_w, comp_h) = if single {
            (width, height)
        } else {
            (
                (width * c.h).div_ceil(h_max),
                (height * c.v).div_ceil(v_max),
            )
        };
        let (mut blocks_w, mut blocks_h) =
            (comp_w.div_ceil(8) as usize, comp_h.div_ceil(8) as usize);
        let mut plane_w = *plane_w;
        let mean: Vec<f32> = if sub {
            // Quarter blocks: twice the resolution, each cell 4 x 4 samples.
            let quarters = block_quarters(plane, plane_w, q);
            plane_w *= 2;
            (fx, fy) = (fx / 2.0, fy / 2.0);
            (blocks_w, blocks_h) = (comp_w.div_ceil(4) as usize, comp_h.div_ceil(4) as usize);
            quarters
        } else {
            plane
                .iter()
                .map(|b| b[0] as f32 * q[0] as f32 / 8.0 + 128.0)
                .collect()
        };
        let axis = |p: u32, f: f32, blocks: usize| {
            let u = ((p as f32 + 0.5) / f - 0.5).clamp(0.0, (blocks - 1) as f32);
            let lo = u.floor();
            (lo as usize, (lo as usize + 1).min(blocks - 1), u - lo)
        };
        means.push(move |x: u32, y: u32| {
            if fx == 1.0 && fy == 1.0 {
                // One block (or quarter) per output pixel: no interpolation.
                let (bx, by) = (
                    (x as usize).min(blocks_w - 1),
                    (y as usize).min(blocks_h - 1),
                );
                return mean[by * plane_w + bx];
            }
            let (x0, x1, tx) = axis(x, fx, blocks_w);
            let (y0, y1, ty) = axis(y, fy, blocks_h);
            let at = |bx: usize, by: usize| mean[by * plane_w + bx];
            let top = at(x0, y0) * (1.0 - tx) + at(x1, y0) * tx;
            let bottom = at(x0, y1) * (1.0 - tx) + at(x1, y1) * tx;
            top * (1.0 - ty) + bottom * ty
        });
    }
    // Rounds half up, as `round` does for values that are not negative, without its call.
    let clamp = |v: f32| (v.clamp(0.0, 255.0) + 0.5) as u8;
    let mut raw = Vec::with_capacity(out_w as usize * out_h as usize * 3);
    for y in 0..out_h {
        for x in 0..out_w {
            if single {
                let l = clamp(means[0](x, y));
                raw.extend([l, l, l]);
            } else {
                let luma = means[0](x, y);
                let cb = means[1](x, y) - 128.0;
                let cr = means[2](x, y) - 128.0;
                raw.extend([
                    clamp(luma + 1.402 * cr),
                    clamp(luma - 0.344_136 * cb - 0.714_136 * cr),
                    clamp(luma + 1.772 * cb),
                ]);
            }
        }
    }
    let channels = components.len() as u8;
    Some((RgbImage::from_raw(out_w, out_h, raw)?, channels))
}

/// The means of the four 4 x 4 quarters of each block of a plane of `[DC, AC1, AC2, AC4]`
/// (quantised coefficients at zig-zag positions 0, 1, 2 and 4, dequantised by `q`), as a
/// plane of twice the width and height. From the DCT (T.81 A.3.3), the mean of the left
/// quarters' `cos((2x + 1) pi / 16)` over x = 0..3 is
/// m = (cos(pi/16) + cos(3pi/16) + cos(5pi/16) + cos(7pi/16)) / 4, so a quarter's mean is
/// `F00 / 8 + sx m F01 / (4 sqrt 2) + sy m F10 / (4 sqrt 2) + sx sy m^2 F11 / 4 + 128`
/// with sx, sy = +1 for the left and top quarters and -1 for the others; the higher
/// frequencies, usually quantised away in chroma, are left out. This is what makes 1/8-scale
/// colour as detailed as the luma of a 4:2:0 JPEG.
fn block_quarters(plane: &[[i32; 4]], plane_w: usize, q: [i32; 4]) -> Vec<f32> {
    const M: f32 = 0.640_728_86;
    const FIRST: f32 = M * std::f32::consts::FRAC_1_SQRT_2 / 4.0;
    const BOTH: f32 = M * M / 4.0;
    let plane_h = plane.len() / plane_w.max(1);
    let mut out = vec![0.0f32; plane.len() * 4];
    for by in 0..plane_h {
        for bx in 0..plane_w {
            let b = plane[by * plane_w + bx];
            let dc = b[0] as f32 * q[0] as f32 / 8.0 + 128.0;
            let (h, v, hv) = (
                FIRST * (b[1] * q[1]) as f32,
                FIRST * (b[2] * q[2]) as f32,
                BOTH * (b[3] * q[3]) as f32,
            );
            for (j, sy) in [(0, 1.0f32), (1, -1.0)] {
                for (i, sx) in [(0, 1.0f32), (1, -1.0)] {
                    out[(2 * by + j) * 2 * plane_w + 2 * bx + i] =
                        dc + sx * h + sy * v + sx * sy * hv;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The AC tables of a JPEG file's DHT segments, as (counts, symbols).
    fn ac_tables(bytes: &[u8]) -> Vec<([u8; 16], Vec<u8>)> {
        let mut tables = Vec::new();
        let mut pos = 2;
        while pos + 4 <= bytes.len() && bytes[pos] == 0xFF {
            let marker = bytes[pos + 1];
            let length = usize::from(u16::from_be_bytes([bytes[pos + 2], bytes[pos + 3]]));
            if marker == 0xDA {
                break;
            }
            if marker == 0xC4 {
                let mut rest = &bytes[pos + 4..pos + 2 + length];
                while !rest.is_empty() {
                    let counts: [u8; 16] = rest[1..17].try_into().unwrap();
                    let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
                    if rest[0] >> 4 == 1 {
                        tables.push((counts, rest[17..17 + total].to_vec()));
                    }
                    rest = &rest[17 + total..];
                }
            }
            pos += 2 + length;
        }
        tables
    }

    /// Every entry of the several-coefficients lookup against the symbols read one by one
    /// from its bits by the canonical code ranges (T.81 F.2.2.3), on the standard tables
    /// (astronaut.jpg) and on tables optimised for one image (pattern.jpg, odd_333x77.jpg).
    #[test]
    fn each_run_entry_is_the_coefficients_its_bits_hold() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/images/");
        let mut checked = 0;
        for file in [
            "astronaut.jpg",
            "pattern.jpg",
            "odd_333x77.jpg",
            "camera_grey.jpg",
        ] {
            let bytes = std::fs::read(format!("{dir}{file}")).unwrap();
            for (counts, symbols) in ac_tables(&bytes) {
                let table = Huffman::new(&counts, &symbols, true).unwrap();
                for index in 0..1u32 << RUN_BITS {
                    // The symbols whose code and value bits fit, read one by one by the
                    // code ranges up to an end of block: (bits, steps, end) after each.
                    let mut prefixes: Vec<(u32, u32, bool)> = Vec::new();
                    let (mut used, mut steps) = (0, 0);
                    'read: loop {
                        for length in 1..=LOOKUP_BITS.min(RUN_BITS - used) {
                            let code = (index >> (RUN_BITS - used - length)) & ((1 << length) - 1);
                            if code as i32 > table.max_code[length as usize] {
                                continue;
                            }
                            let rs = table.symbols
                                [(table.offset[length as usize] + code as i32) as usize];
                            let end = rs & 15 == 0 && rs != 0xF0;
                            used += length + u32::from(rs & 15);
                            if used > RUN_BITS {
                                break 'read;
                            }
                            steps += match rs {
                                0xF0 => 16,
                                _ if end => 0,
                                _ => u32::from(rs >> 4) + 1,
                            };
                            prefixes.push((used, steps, end));
                            if end {
                                break 'read;
                            }
                            continue 'read;
                        }
                        break;
                    }
                    let entry = table.runs[index as usize];
                    let got = (entry != 0).then(|| {
                        (
                            u32::from(entry & 31),
                            u32::from(entry >> 5 & 63),
                            entry & RUN_END_OF_BLOCK != 0,
                        )
                    });
                    // All of them when their steps stay in a block; otherwise some of the
                    // first ones, whose steps do.
                    match (got, prefixes.last()) {
                        (None, None) => {}
                        (Some(g), Some(&all)) if all.1 <= 63 => {
                            assert_eq!(g, all, "{file} {index:014b}")
                        }
                        (Some(g), Some(_)) => assert!(
                            g.1 <= 63 && prefixes.contains(&g),
                            "{file} {index:014b}: {g:?}"
                        ),
                        _ => panic!("{file} {index:014b}: {got:?} against {prefixes:?}"),
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked >= 4 * (1 << RUN_BITS), "{checked}");
    }
}
