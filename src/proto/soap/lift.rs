//! The fast path for the one large array an ACS sends: the `ParameterNames` of a
//! GetParameterValues that names every leaf (TR-069 Amd 6 A.3.2.2; issue 18: an ACS naming
//! 5,454 leaves sends about 330 KB of `<string>` elements).
//!
//! A general XML parser spends most of its time on what such an array does not use
//! (attributes, entities, namespaces, CDATA). Here the array's content is lifted out of the
//! text when, and only when, it is the plainest form: white space and
//! `<string>NAME</string>` items whose text is printable ASCII without `&`, `<` or `>`. The
//! rest of the envelope (with the array left empty) is then parsed as usual, and
//! [`super::decode`] checks that the element the decoder reads is the one lifted from (so a
//! look-alike inside a comment or CDATA section is never taken). Anything else, and any
//! failure, falls back to parsing the whole text: the answer is the same either way, only
//! the cost differs (tested by comparing the two on the same envelopes, and fuzzed).

use core::ops::Range;

const OPEN: &str = "<ParameterNames";
const CLOSE: &[u8; 16] = b"</ParameterNames";
const ITEM_OPEN: &[u8; 8] = b"<string>";
const ITEM_CLOSE: &[u8; 9] = b"</string>";

/// Whether `t` holds `tag` at `at`: a compare of one array, which the compiler makes a
/// word compare (a slice's `starts_with` calls `memcmp` at opt-level z, three times an item).
fn tag_at<const N: usize>(t: &[u8], at: usize, tag: &[u8; N]) -> bool {
    t.get(at..).and_then(<[u8]>::first_chunk::<N>) == Some(tag)
}

/// The content of a `ParameterNames` element, lifted out of an envelope's text.
#[derive(Debug)]
pub struct Lifted<'a> {
    /// Where the `<ParameterNames` start tag begins (the element's start in the text).
    pub element_start: usize,
    /// The element's content: what is cut out of the text.
    pub content: Range<usize>,
    /// The items' texts, trimmed of XML white space.
    pub names: Vec<&'a str>,
}

impl Lifted<'_> {
    /// The envelope's text without the lifted content.
    pub fn remainder(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len().saturating_sub(self.content.len()));
        out.push_str(text.get(..self.content.start).unwrap_or(""));
        out.push_str(text.get(self.content.end..).unwrap_or(""));
        out
    }
}

fn xml_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// A byte an item's text may hold on the fast path: printable ASCII but the markup ones.
fn plain(b: u8) -> bool {
    (0x20..0x7f).contains(&b) && !matches!(b, b'&' | b'<' | b'>')
}

/// Per byte: whether it is [`plain`] and not a space (one load in the fast item loop).
#[allow(clippy::indexing_slicing)]
static TIGHT: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0x21;
    while b < 0x7f {
        t[b] = !matches!(b as u8, b'&' | b'<' | b'>');
        b += 1;
    }
    t
};

fn tight_byte(b: u8) -> bool {
    TIGHT.get(usize::from(b)).copied().unwrap_or(false)
}

/// The length of the run of [`tight_byte`]s `t` starts with, eight bytes a step: a word is
/// tight when no byte is below `!` or above `~` and none is `&`, `<` or `>` (bit tricks on
/// the whole word, about three instructions a byte where a byte loop takes five).
fn tight_run(t: &[u8]) -> usize {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = ONES << 7;
    // A high bit where a byte is zero (no false positive below the first real one).
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let mut words = t.chunks_exact(8);
    let mut n = 0;
    for w in &mut words {
        let Ok(b) = <&[u8; 8]>::try_from(w) else { break };
        let x = u64::from_le_bytes(*b);
        // Below 0x21 (space and controls): a borrow into the high bit of a byte that had none.
        let low = x.wrapping_sub(ONES * 0x21) & !x & HIGH;
        // 0x7f and above: the high bit set, or set by adding one to the low seven bits.
        let high = (x | (x & !HIGH).wrapping_add(ONES)) & HIGH;
        let amp = zero(x ^ (ONES * u64::from(b'&')));
        // `<` (0x3C) and `>` (0x3E) differ in one bit: one test for both.
        let angle = zero((x ^ (ONES * u64::from(b'<'))) & !(ONES * 0x02));
        if low | high | amp | angle != 0 {
            break;
        }
        n += 8;
    }
    n + t.get(n..).unwrap_or(&[]).iter().position(|b| !tight_byte(*b)).unwrap_or(t.len().saturating_sub(n))
}

fn skip_space(t: &[u8], mut i: usize) -> usize {
    while t.get(i).is_some_and(|b| xml_space(*b)) {
        i += 1;
    }
    i
}

/// The `ParameterNames` content of a GetParameterValues request, if it has the plain form;
/// `None` sends the caller to the general parser. `max_len` bounds an item (longer ones take
/// the general path, which reports them).
pub fn parameter_names(text: &str, max_len: usize) -> Option<Lifted<'_>> {
    let method = text.find("GetParameterValues")?;
    let element_start = text.get(method..)?.find(OPEN)? + method;
    let t = text.as_bytes();
    let after = element_start + OPEN.len();
    // `<ParameterNames>` or `<ParameterNames attr...>`, not a longer name, not empty-element.
    if !t.get(after).is_some_and(|b| *b == b'>' || xml_space(*b)) {
        return None;
    }
    let gt = after + text.get(after..)?.find('>')?;
    if t.get(gt.checked_sub(1)?) == Some(&b'/') {
        return None;
    }
    let start = gt + 1;
    // Room for the names of a typical item size (about 70 bytes of XML each): a list
    // regrown from empty copies itself a dozen times for a whole tree.
    let mut names = Vec::with_capacity(text.len().saturating_sub(start) / 64);
    let mut i = start;
    loop {
        i = skip_space(t, i);
        if tag_at(t, i, CLOSE) {
            return Some(Lifted { element_start, content: start..i, names });
        }
        let body = i + ITEM_OPEN.len();
        if !tag_at(t, i, ITEM_OPEN) {
            return None;
        }
        // The common item, `<string>NAME</string>` with no white space, in one pass.
        let tight = tight_run(t.get(body..)?);
        t.get(body + tight)?;
        let closed = tag_at(t, body + tight, ITEM_CLOSE);
        if closed && (1..=max_len).contains(&tight) {
            names.push(text.get(body..body + tight)?);
            i = body + tight + ITEM_CLOSE.len();
            continue;
        }
        let len = t.get(body..)?.iter().position(|b| !plain(*b) && !xml_space(*b))?;
        let end = body + len;
        if !tag_at(t, end, ITEM_CLOSE) {
            return None;
        }
        let name = text.get(body..end)?.trim_matches(|c: char| c.is_ascii() && xml_space(c as u8));
        // White space inside a name, or a name too long: the general path decides.
        if name.len() > max_len || name.bytes().any(xml_space) {
            return None;
        }
        names.push(name);
        i = end + ITEM_CLOSE.len();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn gpv(array: &str) -> String {
        format!("<Envelope><Body><GetParameterValues>{array}</GetParameterValues></Body></Envelope>")
    }

    #[test]
    fn plain_arrays_are_lifted() {
        let text = gpv(
            "<ParameterNames a=\"x[2]\">\n <string> Device.A.B</string><string>Device.</string>\n</ParameterNames>",
        );
        let l = parameter_names(&text, 256).unwrap();
        assert_eq!(l.names, ["Device.A.B", "Device."]);
        assert_eq!(text.get(l.element_start..).unwrap().find(OPEN), Some(0));
        let rest = l.remainder(&text);
        assert!(rest.contains("<ParameterNames a=\"x[2]\"></ParameterNames>"), "{rest}");
        assert_eq!(parameter_names(&gpv("<ParameterNames></ParameterNames>"), 256).unwrap().names.len(), 0);
    }

    #[test]
    fn tight_runs_word_at_a_time_are_the_bytewise_runs() {
        let bytewise = |t: &[u8]| t.iter().position(|b| !tight_byte(*b)).unwrap_or(t.len());
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for len in 0..40 {
            for _ in 0..2000 {
                let t: Vec<u8> = (0..len)
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        // Mostly name bytes, sometimes any byte.
                        if seed % 7 == 0 {
                            (seed >> 24) as u8
                        } else {
                            b'!' + (seed >> 32) as u8 % 94
                        }
                    })
                    .collect();
                assert_eq!(tight_run(&t), bytewise(&t), "{t:?}");
            }
        }
        for b in 0..=255u8 {
            let t = [b'A', b'B', b'C', b'D', b'E', b'F', b'G', b, b'x'];
            assert_eq!(tight_run(&t), bytewise(&t), "{b:#x}");
        }
    }

    #[test]
    fn anything_else_takes_the_general_path() {
        for array in [
            "<ParameterNames/>",
            "<ParameterNames x=\"1\"/>",
            "<ParameterNamesX><string>A</string></ParameterNamesX>",
            "<ParameterNames><string>A&amp;B</string></ParameterNames>",
            "<ParameterNames><string xsi:type=\"xsd:string\">A</string></ParameterNames>",
            "<ParameterNames><![CDATA[x]]><string>A</string></ParameterNames>",
            "<ParameterNames><!-- c --><string>A</string></ParameterNames>",
            "<ParameterNames><string>A B</string></ParameterNames>",
            "<ParameterNames><string>A\u{1}</string></ParameterNames>",
            "<ParameterNames><string>Ä</string></ParameterNames>",
            "<ParameterNames><string>A</string>",
            "<ParameterNames><string>A</strin></ParameterNames>",
            "<ParameterNames><cwmp:string>A</cwmp:string></ParameterNames>",
        ] {
            assert!(parameter_names(&gpv(array), 256).is_none(), "{array}");
        }
        assert!(parameter_names(&gpv("<ParameterNames><string>ABC</string></ParameterNames>"), 2).is_none());
        assert!(parameter_names("<GetParameterAttributes><ParameterNames></ParameterNames>", 256).is_none());
    }
}
