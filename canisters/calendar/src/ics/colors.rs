//! Event colours in iCalendar: the calendar stores `#rrggbb`; RFC 7986 `COLOR` is a CSS3
//! colour name. Names and their values come from `csscolorparser`'s table of CSS named
//! colours; choosing the nearest name is ours (the crate only finds exact matches).

use csscolorparser::NAMED_COLORS;

/// `#rrggbb` for a `COLOR`/`X-IC-COLOR` value: a CSS colour name or a hex colour.
pub fn to_hex(value: &str) -> Option<String> {
    let value = value.trim();
    let rgb = if let Some(hex) = value.strip_prefix('#') {
        if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        return Some(format!("#{}", hex.to_ascii_lowercase()));
    } else {
        NAMED_COLORS
            .entries()
            .find(|(name, _)| name.as_str().eq_ignore_ascii_case(value))?
            .1
    };
    Some(format!("#{:02x}{:02x}{:02x}", rgb[0], rgb[1], rgb[2]))
}

/// The CSS colour name for `#rrggbb`, and whether it is exact (else the nearest by RGB).
pub fn nearest_name(hex: &str) -> Option<(&'static str, bool)> {
    let h = hex.strip_prefix('#')?;
    let byte = |i: usize| u8::from_str_radix(h.get(i..i + 2)?, 16).ok();
    let rgb = [byte(0)?, byte(2)?, byte(4)?];
    NAMED_COLORS
        .entries()
        .map(|(name, v)| {
            let d: i32 = (0..3).map(|i| (v[i] as i32 - rgb[i] as i32).pow(2)).sum();
            (d, name.as_str())
        })
        .min_by_key(|(d, _)| *d)
        .map(|(d, name)| (name, d == 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_hex_colours_convert() {
        assert_eq!(to_hex("red").as_deref(), Some("#ff0000"));
        assert_eq!(to_hex("DarkOliveGreen").as_deref(), Some("#556b2f"));
        assert_eq!(to_hex("#AABBCC").as_deref(), Some("#aabbcc"));
        assert_eq!(to_hex("no such colour"), None);
        assert_eq!(nearest_name("#ff0000"), Some(("red", true)));
        assert_eq!(nearest_name("#fe0101").map(|n| n.1), Some(false));
    }
}
