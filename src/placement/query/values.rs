//! Typed operand values of the cluster query language: integers (`runningTasksCount`), agent
//! versions (`agentVersion`), timestamps (`registeredAt`) and numbers (ordering on attributes).

use std::cmp::Ordering;

/// An agent version such as `1.14.5`, compared component by component, missing components
/// counting as 0 (`1.14` == `1.14.0`). A leading `v` and any pre-release suffix are ignored:
/// ECS documents only numeric versions (ecs-semantics.md §2.4, "semantic version compare").
#[derive(Clone, Debug)]
pub struct Version(Vec<u64>);

impl Version {
    pub fn parse(text: &str) -> Option<Version> {
        let text = text.strip_prefix(['v', 'V']).unwrap_or(text);
        let mut parts = Vec::new();
        for component in text.split('.') {
            let digits_end = component
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(component.len());
            if digits_end == 0 {
                break;
            }
            parts.push(component[..digits_end].parse().ok()?);
            if digits_end < component.len() {
                break;
            }
        }
        if parts.is_empty() {
            None
        } else {
            Some(Version(parts))
        }
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let len = self.0.len().max(other.0.len());
        for i in 0..len {
            let a = self.0.get(i).copied().unwrap_or(0);
            let b = other.0.get(i).copied().unwrap_or(0);
            match a.cmp(&b) {
                Ordering::Equal => continue,
                unequal => return unequal,
            }
        }
        Ordering::Equal
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A point in time written with some precision, as the half-open second range it denotes:
/// `2018-06-18` is the whole day, `2018-06-18T22:28` a minute, `2018-06-18T22:28:28Z` one
/// second. `registeredAt == 2018-06-18` therefore means "registered that day" and
/// `registeredAt < 2018-06-18` "before that day" **[inferred: ECS documents the formats, not
/// the comparison of a date with a timestamp]**.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeSpan {
    /// First second (Unix time) of the span.
    pub start: i64,
    /// First second after the span.
    pub end: i64,
}

impl TimeSpan {
    /// Compares an instant against the span: Less = before it, Equal = inside, Greater = after.
    pub fn locate(&self, instant: i64) -> Ordering {
        if instant < self.start {
            Ordering::Less
        } else if instant >= self.end {
            Ordering::Greater
        } else {
            Ordering::Equal
        }
    }

    /// Parses the four documented forms (`2018-06-18T22:28:28+00:00`, `2018-06-18T22:28:28Z`,
    /// `2018-06-18T22:28:28`, `2018-06-18`), plus minute precision and fractional seconds.
    /// A time without an offset is UTC.
    pub fn parse(text: &str) -> Option<TimeSpan> {
        let bytes = text.as_bytes();
        if bytes.len() < 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return None;
        }
        let year: i64 = digits(&bytes[0..4])?;
        let month: i64 = digits(&bytes[5..7])?;
        let day: i64 = digits(&bytes[8..10])?;
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return None;
        }
        let midnight = days_from_civil(year, month, day) * 86_400;
        let rest = &bytes[10..];
        if rest.is_empty() {
            return Some(TimeSpan {
                start: midnight,
                end: midnight + 86_400,
            });
        }
        if rest[0] != b'T' && rest[0] != b't' && rest[0] != b' ' {
            return None;
        }
        let rest = &rest[1..];
        if rest.len() < 5 || rest[2] != b':' {
            return None;
        }
        let hour: i64 = digits(&rest[0..2])?;
        let minute: i64 = digits(&rest[3..5])?;
        let mut rest = &rest[5..];
        let mut second = 0;
        let mut precision = 60;
        if rest.first() == Some(&b':') {
            if rest.len() < 3 {
                return None;
            }
            second = digits(&rest[1..3])?;
            precision = 1;
            rest = &rest[3..];
            if rest.first() == Some(&b'.') {
                let frac_len = rest[1..].iter().take_while(|b| b.is_ascii_digit()).count();
                if frac_len == 0 {
                    return None;
                }
                rest = &rest[1 + frac_len..];
            }
        }
        if hour > 23 || minute > 59 || second > 60 {
            return None;
        }
        let offset = parse_offset(rest)?;
        let start = midnight + hour * 3600 + minute * 60 + second - offset;
        Some(TimeSpan {
            start,
            end: start + precision,
        })
    }
}

/// `Z`, `+HH:MM`, `-HHMM`, `+HH` or nothing (UTC) → offset in seconds east of UTC.
fn parse_offset(rest: &[u8]) -> Option<i64> {
    match rest {
        [] => Some(0),
        [b'Z' | b'z'] => Some(0),
        [sign @ (b'+' | b'-'), tail @ ..] => {
            let (hours, minutes) = match tail {
                [h1, h2] => (digits(&[*h1, *h2])?, 0),
                [h1, h2, b':', m1, m2] | [h1, h2, m1, m2] => {
                    (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?)
                }
                _ => return None,
            };
            if hours > 23 || minutes > 59 {
                return None;
            }
            let seconds = hours * 3600 + minutes * 60;
            Some(if *sign == b'-' { -seconds } else { seconds })
        }
        _ => None,
    }
}

fn digits(bytes: &[u8]) -> Option<i64> {
    if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's civil-days algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A plain decimal number (`42`, `-1.5`), used to order attribute values numerically when
/// both sides are numbers. Exponents, `inf` and `nan` are not numbers here.
pub fn parse_number(text: &str) -> Option<f64> {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    if unsigned.ends_with('.') {
        return None;
    }
    text.parse().ok()
}

/// A non-negative decimal integer (`runningTasksCount`).
pub fn parse_integer(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_numerically() {
        let v = |s| Version::parse(s).unwrap();
        assert!(v("1.14.4") < v("1.14.5"));
        assert!(v("1.9.0") < v("1.14.0"));
        assert_eq!(v("1.14"), v("1.14.0"));
        assert_eq!(v("v1.33.1").cmp(&v("1.33.1")), Ordering::Equal);
        assert_eq!(v("1.33.1-eks-1234"), v("1.33.1"));
        assert!(Version::parse("abc").is_none());
        assert!(Version::parse("").is_none());
    }

    #[test]
    fn documented_date_forms_parse() {
        let expected = 1_529_360_908; // 2018-06-18T22:28:28Z
        for text in [
            "2018-06-18T22:28:28+00:00",
            "2018-06-18T22:28:28Z",
            "2018-06-18T22:28:28",
            "2018-06-18T22:28:28.250Z",
        ] {
            let span = TimeSpan::parse(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(span.start, expected, "{text}");
            assert_eq!(span.end, expected + 1, "{text}");
        }
        let day = TimeSpan::parse("2018-06-18").unwrap();
        assert_eq!(day.start, 1_529_280_000);
        assert_eq!(day.end, 1_529_280_000 + 86_400);
        let shifted = TimeSpan::parse("2018-06-18T22:28:28+02:00").unwrap();
        assert_eq!(shifted.start, expected - 7200);
        assert_eq!(TimeSpan::parse("1970-01-01").unwrap().start, 0);
        assert_eq!(TimeSpan::parse("2000-02-29").unwrap().start, 951_782_400);
    }

    #[test]
    fn malformed_dates_are_rejected() {
        for text in [
            "2018-6-18",
            "2018-13-01",
            "2018-02-30",
            "2019-02-29",
            "2018-06-18T25:00:00",
            "2018-06-18X22:28:28",
            "2018-06-18T22:28:28+0",
            "2018-06-18T22",
            "yesterday",
            "2018-06-18T22:28:28.Z",
        ] {
            assert!(TimeSpan::parse(text).is_none(), "{text}");
        }
    }

    #[test]
    fn numbers_and_integers() {
        assert_eq!(parse_number("42"), Some(42.0));
        assert_eq!(parse_number("-1.5"), Some(-1.5));
        assert_eq!(parse_number("1e3"), None);
        assert_eq!(parse_number("nan"), None);
        assert_eq!(parse_number("1."), None);
        assert_eq!(parse_integer("7"), Some(7));
        assert_eq!(parse_integer("-7"), None);
        assert_eq!(parse_integer("99999999999999999999999"), None);
    }
}
