//! (misc4) LED blink cycles (issue 16; TR-181 Device:2.19 `LEDs.LED.{i}.CycleElement.{i}.` and
//! `LEDs.LED.{i}.CyclePeriodRepetitions`) from the LED's sysfs trigger files, read-only:
//!
//! - trigger `timer` (Documentation/leds/ledtrig-timer): on for `delay_on` ms, off for
//!   `delay_off` ms, for ever: two elements, the second at 0 % brightness (the first's
//!   brightness is the driver's blink level, which sysfs does not show: absent), -1
//!   repetitions;
//! - trigger `pattern` (ABI sysfs-class-led-trigger-pattern): `pattern` is a series of
//!   `brightness duration` tuples the LED traverses, one element each (Brightness as a
//!   percentage of `max_brightness`); `repeat` -1 means for ever (a positive `repeat` reads
//!   back as written, not as what is left: then CyclePeriodRepetitions is absent).
//!
//! Other triggers have no fixed cycle (netdev, heartbeat...) and no elements. FadeInterval
//! and Color are not served (the pattern trigger's interpolation is its own; mono LEDs have no
//! colour). Rows are keyed by their 1-based Order. With the `gateway-extra` cargo feature
//! (`datamodel/build-objects-gateway-extra.list`); the readers here are always built.

pub const CYCLE: &str = "Device.LEDs.LED.{i}.CycleElement.{i}.";
pub const CYCLE_PARAMS: &[&str] = &["Enable", "Order", "Duration", "Brightness"];

/// One element: how long, and how bright (raw units of the LED) when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    pub duration_ms: u32,
    pub brightness: Option<u32>,
}

/// An LED's cycle: its elements and the repetitions left (-1: for ever) when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle {
    pub elements: Vec<Element>,
    pub repetitions: Option<i32>,
}

/// The `brightness duration` tuples of a `pattern` file; `None` when malformed (the kernel
/// refuses such a pattern) or longer than the kernel's 1024 tuples.
pub fn parse_pattern(text: &str) -> Option<Vec<Element>> {
    let numbers: Vec<u32> = text.split_whitespace().map(|w| w.parse().ok()).collect::<Option<_>>()?;
    if numbers.is_empty() || numbers.len() % 2 != 0 || numbers.len() > 2048 {
        return None;
    }
    Some(
        numbers
            .chunks(2)
            .map(|c| Element { duration_ms: c.get(1).copied().unwrap_or(0), brightness: c.first().copied() })
            .collect(),
    )
}

/// The cycle of an LED whose active trigger is `trigger`; `file` reads one of its sysfs
/// attributes (trimmed first line).
pub fn cycle(trigger: &str, file: &dyn Fn(&str) -> Option<String>) -> Option<Cycle> {
    let ms = |name: &str| file(name)?.parse::<u32>().ok();
    match trigger {
        "timer" => Some(Cycle {
            elements: vec![
                Element { duration_ms: ms("delay_on")?, brightness: None },
                Element { duration_ms: ms("delay_off")?, brightness: Some(0) },
            ],
            repetitions: Some(-1),
        }),
        "pattern" => Some(Cycle {
            elements: parse_pattern(&file("pattern")?)?,
            repetitions: file("repeat").filter(|r| r == "-1").map(|_| -1),
        }),
        _ => None,
    }
}

/// `raw` as a rounded percentage of `max` (capped at 100).
pub fn percent(raw: u32, max: u32) -> Option<u32> {
    let p = u64::from(raw).checked_mul(100)?.checked_add(u64::from(max) / 2)? / u64::from(max).max(1);
    u32::try_from(p.min(100)).ok().filter(|_| max > 0)
}

/// The value of a CycleElement parameter of element `order` (1-based).
pub fn element_value(cycle: &Cycle, order: &str, param: &str, max: Option<u32>) -> Option<String> {
    let i: usize = order.parse().ok()?;
    let e = cycle.elements.get(i.checked_sub(1)?)?;
    match param {
        "Enable" => Some("true".to_string()),
        "Order" => Some(i.to_string()),
        "Duration" => Some(e.duration_ms.to_string()),
        "Brightness" => percent(e.brightness?, max?).map(|p| p.to_string()),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn timer_and_pattern_cycles() {
        let timer = |f: &str| match f {
            "delay_on" => Some("250".to_string()),
            "delay_off" => Some("750".to_string()),
            _ => None,
        };
        let c = cycle("timer", &timer).unwrap();
        assert_eq!(c.repetitions, Some(-1));
        assert_eq!(element_value(&c, "1", "Duration", Some(255)).as_deref(), Some("250"));
        assert_eq!(element_value(&c, "1", "Brightness", Some(255)), None);
        assert_eq!(element_value(&c, "2", "Brightness", Some(255)).as_deref(), Some("0"));
        assert_eq!(element_value(&c, "3", "Duration", Some(255)), None);
        assert_eq!(element_value(&c, "0", "Duration", Some(255)), None);
        let pattern = |f: &str| match f {
            "pattern" => Some("255 500 0 0 0 500 255 0".to_string()),
            "repeat" => Some("3".to_string()),
            _ => None,
        };
        let c = cycle("pattern", &pattern).unwrap();
        assert_eq!(c.elements.len(), 4);
        assert_eq!(c.repetitions, None, "3 is what was written, not what is left");
        assert_eq!(element_value(&c, "1", "Brightness", Some(255)).as_deref(), Some("100"));
        assert_eq!(element_value(&c, "4", "Order", Some(255)).as_deref(), Some("4"));
        assert!(cycle("netdev", &pattern).is_none());
        assert_eq!(parse_pattern("255 500 0"), None);
        assert_eq!(parse_pattern("a b"), None);
        assert_eq!(parse_pattern(""), None);
        assert_eq!(percent(128, 255), Some(50));
        assert_eq!(percent(1, 0), None);
    }
}
