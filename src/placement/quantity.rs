//! Reading Kubernetes resource quantities (`500m`, `1.5`, `16Gi`, `1e3`, `128974848`) as whole
//! millicores or bytes, rounding the way the caller asks. k8s-openapi keeps quantities as
//! strings, so the adapter needs this. Exact integer arithmetic: no float rounding surprises.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Round {
    Down,
    Up,
}

/// The quantity in thousandths (cpu → millicores).
pub(crate) fn to_millis(text: &str, round: Round) -> Option<u64> {
    scaled(text, 3, round)
}

/// The quantity in units (memory → bytes).
pub(crate) fn to_units(text: &str, round: Round) -> Option<u64> {
    scaled(text, 0, round)
}

/// `value × 10^extra_exponent`, rounded; negative quantities are 0, huge ones saturate.
fn scaled(text: &str, extra_exponent: i32, round: Round) -> Option<u64> {
    let text = text.trim();
    let (negative, text) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let number_end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(number_end);
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if (whole.is_empty() && fraction.is_empty()) || fraction.contains('.') {
        return None;
    }
    let (decimal_exponent, binary_shift) = suffix_scale(suffix)?;
    if negative {
        return Some(0);
    }
    let fraction = fraction.trim_end_matches('0');
    let digits = format!("{whole}{fraction}");
    let digits = digits.trim_start_matches('0');
    // Value = digits × 10^(exponent) × 2^shift.
    let mut exponent = decimal_exponent + extra_exponent - i32::try_from(fraction.len()).ok()?;
    if digits.is_empty() {
        return Some(0);
    }
    // u128 holds 38 digits; beyond 36 significant digits the rest cannot matter for a u64
    // result except to round up.
    let (digits, dropped_nonzero) = if digits.len() > 36 {
        let (kept, dropped) = digits.split_at(36);
        exponent += i32::try_from(dropped.len()).ok()?;
        (kept, dropped.bytes().any(|b| b != b'0'))
    } else {
        (digits, false)
    };
    let mut numerator: u128 = digits.parse().ok()?;
    if dropped_nonzero && round == Round::Up {
        numerator += 1;
    }
    numerator = match numerator.checked_mul(1u128.checked_shl(binary_shift)?) {
        Some(v) => v,
        None => return Some(u64::MAX),
    };
    let value = if exponent >= 0 {
        match 10u128
            .checked_pow(exponent as u32)
            .and_then(|p| numerator.checked_mul(p))
        {
            Some(v) => v,
            None => return Some(u64::MAX),
        }
    } else {
        let Some(denominator) = 10u128.checked_pow(exponent.unsigned_abs()) else {
            return Some(if round == Round::Up { 1 } else { 0 });
        };
        match round {
            Round::Down => numerator / denominator,
            Round::Up => numerator.div_ceil(denominator),
        }
    };
    Some(u64::try_from(value).unwrap_or(u64::MAX))
}

/// (decimal exponent, binary shift) of a quantity suffix.
fn suffix_scale(suffix: &str) -> Option<(i32, u32)> {
    let scale = match suffix {
        "" => (0, 0),
        "n" => (-9, 0),
        "u" => (-6, 0),
        "m" => (-3, 0),
        "k" => (3, 0),
        "M" => (6, 0),
        "G" => (9, 0),
        "T" => (12, 0),
        "P" => (15, 0),
        "E" => (18, 0),
        "Ki" => (0, 10),
        "Mi" => (0, 20),
        "Gi" => (0, 30),
        "Ti" => (0, 40),
        "Pi" => (0, 50),
        "Ei" => (0, 60),
        _ => {
            let exponent = suffix.strip_prefix(['e', 'E'])?;
            (exponent.parse::<i32>().ok()?.clamp(-100, 100), 0)
        }
    };
    Some(scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_quantities_in_millicores() {
        let cases = [
            ("1", 1000, 1000),
            ("500m", 500, 500),
            ("0.5", 500, 500),
            ("1.2345", 1234, 1235),
            ("100u", 0, 1),
            ("2k", 2_000_000, 2_000_000),
            ("1e3", 1_000_000, 1_000_000),
            ("1E-3", 1, 1),
            ("-1", 0, 0),
            ("0", 0, 0),
            (".5", 500, 500),
        ];
        for (text, down, up) in cases {
            assert_eq!(to_millis(text, Round::Down), Some(down), "{text}");
            assert_eq!(to_millis(text, Round::Up), Some(up), "{text}");
        }
    }

    #[test]
    fn memory_quantities_in_bytes() {
        let cases = [
            ("128974848", 128_974_848),
            ("129e6", 129_000_000),
            ("129M", 129_000_000),
            ("123Mi", 123 * 1024 * 1024),
            ("16Gi", 16 * 1024 * 1024 * 1024),
            ("1.5Gi", 1536 * 1024 * 1024),
            ("1Ki", 1024),
            ("16Ei", u64::MAX),
            ("8Ei", 1 << 63),
            ("99999999999999999999999999999999999999999", u64::MAX),
            ("1.0000000000000000000000000000000000000000000", 1),
            ("123456789012345678901234567890123456789e-30", 123_456_789),
        ];
        for (text, bytes) in cases {
            assert_eq!(to_units(text, Round::Down), Some(bytes), "{text}");
        }
    }

    #[test]
    fn garbage_is_none() {
        for text in ["", "abc", "1.2.3", "5Xi", "m", "1e", "--1"] {
            assert_eq!(to_units(text, Round::Down), None, "{text}");
        }
    }
}
