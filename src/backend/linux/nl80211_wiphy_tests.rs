//! Wiphy parts built in the kernel's layout (`fixture`), parsed and merged.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
use super::*;

fn two_g() -> Vec<u8> {
    let freqs: Vec<(u32, bool)> = (0..13).map(|i| (2412 + 5 * i, false)).chain([(2484, true)]).collect();
    fixture::band(BAND_2GHZ, &freqs, &[10, 20, 55, 110, 60, 540], Some(0x19ef), None, Some(0x02))
}

fn five_g() -> Vec<u8> {
    let freqs = [(5180, false), (5200, false), (5500, false), (5845, true)];
    fixture::band(BAND_5GHZ, &freqs, &[60, 120, 240], Some(0x09ef), Some(0x0338_0000 | 0x4), Some(0x0c))
}

#[test]
fn request_asks_for_a_split_dump() {
    let r = request(0x1c, 4);
    assert_eq!(r.len(), 24);
    assert_eq!(u32::from_ne_bytes(r[..4].try_into().unwrap()), 24);
    assert_eq!(r[16], CMD_GET_WIPHY);
    assert_eq!(&r[20..24], &[4, 0, 174, 0]);
}

#[test]
fn bands_channels_rates_and_capabilities() {
    let w = part(&fixture::part(1, &[two_g()])).unwrap();
    assert_eq!(w.index, 1);
    let b = &w.bands[0];
    assert_eq!(band_name(b.id), Some("2.4GHz"));
    assert_eq!(b.channels(), (1..=13).collect::<Vec<_>>());
    assert_eq!(b.rates, [10, 20, 55, 110, 60, 540]);
    assert_eq!(b.standards(), ["b", "g", "n", "ax"]);
    assert_eq!(b.widths(), ["20MHz", "40MHz"]);
    let w = part(&fixture::part(1, &[five_g()])).unwrap();
    let b = &w.bands[0];
    assert_eq!(b.channels(), [36, 40, 100]);
    assert_eq!(b.standards(), ["a", "n", "ac", "ax"]);
    assert_eq!(b.widths(), ["20MHz", "40MHz", "80MHz", "160MHz"]);
    let plain = fixture::band(BAND_5GHZ, &[(5180, false)], &[60], Some(0), None, None);
    let b = &part(&fixture::part(0, &[plain])).unwrap().bands[0];
    assert_eq!((b.standards(), b.widths()), (vec!["a", "n"], vec!["20MHz"]));
    assert_eq!(band_name(2), None);
}

#[test]
fn split_parts_merge_per_wiphy() {
    let parts = [
        fixture::part(0, &[fixture::band(BAND_2GHZ, &[(2412, false)], &[], None, None, None)]),
        fixture::part(0, &[fixture::band(BAND_2GHZ, &[(2437, false)], &[10], Some(2), None, None)]),
        fixture::part(1, &[five_g()]),
        fixture::part(0, &[]),
    ];
    let all = merge(parts.iter().filter_map(|p| part(p)));
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].bands.len(), 1);
    assert_eq!((all[0].bands[0].channels(), all[0].bands[0].ht), (vec![1, 6], Some(2)));
    assert_eq!(all[1].bands[0].id, BAND_5GHZ);
}

#[test]
fn interface_combinations_and_station_limit() {
    // 16 AP/mesh interfaces, 2 stations, at most 16 in all; or 1 AP and 1 station.
    let big = fixture::combination(&[(16, &[3, 7]), (2, &[2])], 16);
    let small = fixture::combination(&[(1, &[3]), (1, &[2])], 2);
    let sta_only = fixture::combination(&[(4, &[2])], 4);
    let w = part(&fixture::limits_part(0, &[small.clone(), big, sta_only], 128)).unwrap();
    assert_eq!((w.max_ssids, w.max_assoc), (Some(16), Some(128)));
    let w = part(&fixture::limits_part(0, &[small], 0)).unwrap();
    assert_eq!((w.max_ssids, w.max_assoc), (Some(1), None));
    let merged = merge([part(&fixture::part(0, &[five_g()])).unwrap(), w]);
    assert_eq!((merged.len(), merged[0].max_ssids, merged[0].bands.len()), (1, Some(1), 1));
}

#[test]
fn retry_limits_and_radar_detection() {
    let w = part(&fixture::retry_part(0, 7, 4, 0x3f)).unwrap();
    assert_eq!((w.retry_short, w.retry_long, w.dfs), (Some(7), Some(4), Some(true)));
    let w = merge([part(&fixture::part(0, &[five_g()])).unwrap(), part(&fixture::retry_part(0, 6, 3, 0)).unwrap()]);
    assert_eq!((w[0].retry_short, w[0].retry_long, w[0].dfs), (Some(6), Some(3), Some(false)));
    assert_eq!(part(&fixture::part(0, &[])).unwrap().dfs, None);
}

#[test]
fn malformed_parts() {
    assert_eq!(part(&[3, 1, 0, 0]), None);
    assert_eq!(part(&[]), None);
    let whole = fixture::part(2, &[five_g()]);
    for n in 0..whole.len() {
        let _ = part(&whole[..n]);
    }
}
