//! Durations as people type them in flags, the environment and the config file: `300`, `300s`,
//! `5m`, `1h`, with the checks each setting needs. Pure.

use chrono::Duration;

/// Parses a refresh margin: `300`, `300s`, `5m`, `1h`. Negative or over 14 minutes makes no sense
/// for a 14-minute token and is rejected.
pub fn parse_margin(text: &str) -> Result<Duration, String> {
    let d = parse_duration(text)?;
    if d > crate::token::TOKEN_LIFETIME {
        return Err(format!(
            "a refresh margin of {text} is longer than a token's 14-minute life"
        ));
    }
    Ok(d)
}

/// Parses a duration above zero: `15`, `15s`, `1m`.
pub fn parse_positive_duration(text: &str) -> Result<Duration, String> {
    let d = parse_duration(text)?;
    if d <= Duration::zero() {
        return Err(format!("'{text}' must be more than zero"));
    }
    Ok(d)
}

/// Parses a non-negative duration: `300`, `300s`, `5m`, `1h`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let n: i64 = digits
        .parse()
        .map_err(|_| format!("'{text}' is not a duration (try 300s or 5m)"))?;
    let d = match unit.trim() {
        "s" | "sec" | "secs" => Duration::seconds(n),
        "m" | "min" | "mins" => Duration::minutes(n),
        "h" => Duration::hours(n),
        other => {
            return Err(format!(
                "unknown unit '{other}' in '{text}' (use s, m or h)"
            ));
        }
    };
    Ok(d)
}

/// `d` as the parsers read it back, whole seconds: `10m`, `90s`, `1h`, `1m30s`.
pub fn format_std(d: std::time::Duration) -> String {
    let secs = d.as_secs();
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = String::new();
    for (n, unit) in [(h, "h"), (m, "m"), (s, "s")] {
        if n > 0 {
            out.push_str(&format!("{n}{unit}"));
        }
    }
    if out.is_empty() {
        out.push_str("0s");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_written_as_typed() {
        let f = |s| format_std(std::time::Duration::from_secs(s));
        assert_eq!(f(600), "10m");
        assert_eq!(f(90), "1m30s");
        assert_eq!(f(3600), "1h");
        assert_eq!(f(0), "0s");
        assert_eq!(format_std(std::time::Duration::from_millis(2500)), "2s");
    }

    #[test]
    fn margins_parse() {
        assert_eq!(parse_margin("300").unwrap(), Duration::seconds(300));
        assert_eq!(parse_margin("90s").unwrap(), Duration::seconds(90));
        assert_eq!(parse_margin("5m").unwrap(), Duration::minutes(5));
        assert!(parse_margin("1h").is_err());
        assert!(parse_margin("-1m").is_err());
        assert!(parse_margin("5x").is_err());
        assert!(parse_margin("").is_err());
    }
}
