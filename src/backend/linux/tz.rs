//! POSIX TZ strings (POSIX.1 8.3 `TZ`, the form TR-181 Device.Time.LocalTimeZone uses, e.g.
//! `CET-1CEST,M3.5.0,M10.5.0/3`) turned into the UTC offset at a given instant, for
//! Device.Time.CurrentLocalTime; and the TZ string in the footer of a TZif file
//! (RFC 8536 section 3.3) for hosts that keep `/etc/localtime` instead of `/etc/TZ`.
//!
//! Only the `Mm.w.d[/time]` rule form is supported (what every zone in the tz database
//! uses); other forms give `None` rather than a wrong time. Pure functions, no I/O.

use crate::clock::parse_date_time;

/// The TZ string in the footer of TZif version 2+ data (`\n<TZ>\n` at the end).
pub fn tzif_footer(data: &[u8]) -> Option<String> {
    if !data.starts_with(b"TZif") || data.get(4).is_none_or(|v| *v < b'2') {
        return None;
    }
    let body = data.strip_suffix(b"\n")?;
    let start = body.iter().rposition(|b| *b == b'\n')?.checked_add(1)?;
    let tz = std::str::from_utf8(body.get(start..)?).ok()?;
    (!tz.is_empty() && tz.bytes().all(|b| b.is_ascii_graphic())).then(|| tz.to_string())
}

/// Local time offset east of UTC in seconds for `tz` at `unix`.
pub fn offset(tz: &str, unix: i64) -> Option<i64> {
    let (std_offset, rest) = zone(tz)?;
    if rest.is_empty() {
        return Some(std_offset);
    }
    let (dst_offset, rules) = match zone(rest) {
        Some(dst) => dst,
        // A DST name without an offset: one hour ahead of standard time.
        None => (std_offset.saturating_add(3600), rest.get(name_len(rest)?..)?),
    };
    let (start, end) = rules.strip_prefix(',')?.split_once(',')?;
    let year = crate::clock::format_date_time(unix).get(..4)?.parse::<i64>().ok()?;
    // Transitions are given in the local time in force before them.
    let start = rule(start, year)?.saturating_sub(std_offset);
    let end = rule(end, year)?.saturating_sub(dst_offset);
    let dst = if start < end { start <= unix && unix < end } else { !(end <= unix && unix < start) };
    Some(if dst { dst_offset } else { std_offset })
}

fn name_len(s: &str) -> Option<usize> {
    if let Some(quoted) = s.strip_prefix('<') {
        return quoted.find('>').map(|i| i.saturating_add(2));
    }
    let n = s.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(s.len());
    (n >= 3).then_some(n)
}

/// A zone name and its offset: returns (offset east of UTC in seconds, rest). The POSIX
/// sign is the other way round (`CET-1` is one hour east).
fn zone(s: &str) -> Option<(i64, &str)> {
    let rest = s.get(name_len(s)?..)?;
    let end = rest.find(|c: char| !(c.is_ascii_digit() || matches!(c, '+' | '-' | ':'))).unwrap_or(rest.len());
    let text = rest.get(..end)?;
    if text.is_empty() {
        return None;
    }
    Some((clock_seconds(text)?.checked_neg()?, rest.get(end..)?))
}

/// `[+-]hh[:mm[:ss]]` in seconds.
fn clock_seconds(text: &str) -> Option<i64> {
    let (sign, digits) = match text.strip_prefix('-') {
        Some(d) => (-1, d),
        None => (1, text.strip_prefix('+').unwrap_or(text)),
    };
    let mut seconds = 0i64;
    for (i, part) in digits.split(':').enumerate() {
        let value: i64 = part.parse().ok().filter(|v| *v < 200)?;
        let unit = [3600, 60, 1].get(i).copied()?;
        seconds = seconds.checked_add(value.checked_mul(unit)?)?;
    }
    Some(sign * seconds)
}

/// `Mm.w.d[/time]` of `year` as seconds since the epoch, in the zone's local time.
fn rule(text: &str, year: i64) -> Option<i64> {
    let (date, time) = text.split_once('/').unwrap_or((text, "2"));
    let mut parts = date.strip_prefix('M')?.split('.').map(|p| p.parse::<i64>().ok());
    let (month, week, weekday) = (parts.next()??, parts.next()??, parts.next()??);
    if !(1..=12).contains(&month) || !(1..=5).contains(&week) || !(0..=6).contains(&weekday) {
        return None;
    }
    let first = parse_date_time(&format!("{year:04}-{month:02}-01T00:00:00Z")).ok()?;
    let next = if month == 12 {
        format!("{:04}-01-01T00:00:00Z", year + 1)
    } else {
        format!("{year:04}-{:02}-01T00:00:00Z", month + 1)
    };
    let days_in_month = (parse_date_time(&next).ok()? - first) / 86_400;
    let first_weekday = (first.div_euclid(86_400) + 4).rem_euclid(7); // 1970-01-01 was a Thursday
    let mut day = (weekday - first_weekday).rem_euclid(7) + (week - 1) * 7;
    while day >= days_in_month {
        day -= 7;
    }
    Some(first + day * 86_400 + clock_seconds(time)?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn at(text: &str) -> i64 {
        parse_date_time(text).unwrap()
    }

    #[test]
    fn offsets() {
        let cet = "CET-1CEST,M3.5.0,M10.5.0/3";
        assert_eq!(offset(cet, at("2026-01-15T12:00:00Z")), Some(3600));
        assert_eq!(offset(cet, at("2026-07-15T12:00:00Z")), Some(7200));
        // 2026-03-29 is the last Sunday of March: DST from 01:00 UTC.
        assert_eq!(offset(cet, at("2026-03-29T00:59:59Z")), Some(3600));
        assert_eq!(offset(cet, at("2026-03-29T01:00:00Z")), Some(7200));
        assert_eq!(offset(cet, at("2026-10-25T00:59:59Z")), Some(7200));
        assert_eq!(offset(cet, at("2026-10-25T01:00:00Z")), Some(3600));
        assert_eq!(offset("UTC0", 0), Some(0));
        assert_eq!(offset("<+0530>-5:30", 0), Some(19_800));
        assert_eq!(offset("EST5EDT,M3.2.0,M11.1.0", at("2026-07-01T00:00:00Z")), Some(-4 * 3600));
        let aest = "AEST-10AEDT,M10.1.0,M4.1.0/3";
        assert_eq!(offset(aest, at("2026-01-10T00:00:00Z")), Some(11 * 3600));
        assert_eq!(offset(aest, at("2026-07-10T00:00:00Z")), Some(10 * 3600));
        assert_eq!(offset("EST5EDT,J60,J300", 0), None);
        assert_eq!(offset("X", 0), None);
    }

    #[test]
    fn footer() {
        assert_eq!(tzif_footer(b"TZif2....\nUTC0\n").as_deref(), Some("UTC0"));
        assert_eq!(tzif_footer(b"TZif\0...\nUTC0\n"), None);
        assert_eq!(tzif_footer(b"TZif2\n\n"), None);
    }
}
