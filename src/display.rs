//! Text meant for a person's terminal. Names and messages can come from a kubeconfig, the EKS
//! API or an IAM Identity Center portal, and a control character in one (ESC, CSI, OSC, BEL,
//! CR, ...) would move the cursor, retitle the window, rewrite what was printed or hide a line.
//! Invisible format characters are as bad in another way: a zero-width space makes `prod\u{200b}`
//! look like `prod`, and a right-to-left override shows `\u{202e}nimda-dorp` as `prod-admin`.
//! [`safe`] escapes both; JSON output and kubeconfig values stay exact.

use std::borrow::Cow;
use std::fmt::Write;

/// `text` with every control character (C0, DEL, C1), the Unicode line and paragraph
/// separators, and the invisible format characters (zero-width spaces and joiners, bidi marks,
/// embeddings, overrides and isolates, the byte-order mark, ...) written as a visible escape
/// (`\x1b`, `\u{202e}`), so nothing in it can drive a terminal or pass for another name. Borrowed when there is nothing to escape (the common case costs one scan).
pub fn safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c) {
            let n = c as u32;
            if n < 0x100 {
                let _ = write!(out, "\\x{n:02x}");
            } else {
                let _ = write!(out, "\\u{{{n:x}}}");
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    c.is_control() || invisible(c)
}

/// The Unicode line and paragraph separators and the characters of category Cf (format) that
/// terminals draw as nothing or use to reorder what follows.
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{ad}'
            | '\u{600}'..='\u{605}'
            | '\u{61c}'
            | '\u{6dd}'
            | '\u{70f}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206f}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
            | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0001}'
            | '\u{e0020}'..='\u{e007f}'
    )
}

/// [`safe`] for a message that may span lines: each line made safe, the newlines kept.
pub fn safe_lines(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c != '\n' && needs_escape(c)) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.split('\n')
            .map(|l| safe(l).into_owned())
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

/// A writer for a person's terminal: whatever is written through it has its control characters
/// escaped as [`safe_lines`] does (newlines kept). `write!` hands each formatted piece over
/// whole, so a piece is valid UTF-8; bytes that are not are escaped one by one.
pub struct SafeWriter<W>(pub W);

impl<W: std::io::Write> std::io::Write for SafeWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match std::str::from_utf8(buf) {
            Ok(text) => self.0.write_all(safe_lines(text).as_bytes())?,
            Err(_) => {
                let mut escaped = String::new();
                for &b in buf {
                    if b == b'\n' || b.is_ascii_graphic() || b == b' ' {
                        escaped.push(b as char);
                    } else {
                        let _ = write!(escaped, "\\x{b:02x}");
                    }
                }
                self.0.write_all(escaped.as_bytes())?;
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Whether a browser may be pointed at `url`: an `https://` URL of printable ASCII only. A
/// portal that sends `file://`, `javascript:` or a `-option` gets its URL printed, not opened.
pub fn is_openable_url(url: &str) -> bool {
    url.len() > "https://".len()
        && url[..8].eq_ignore_ascii_case("https://")
        && url.bytes().all(|b| b.is_ascii_graphic())
}

/// The file name the kubectl plugin form is installed as (what krew installs):
/// `kubectl eks-kc ARGS` runs `kubectl-eks_kc ARGS`.
pub const PLUGIN_FILE_NAME: &str = "kubectl-eks_kc";

/// How this process was started, by the file name of `argv[0]`: `kubectl-eks_kc` (the kubectl
/// plugin form, possibly with an `.exe` suffix) or anything else (eks-kc itself). Both behave
/// the same; only the name in help, usage and advice differs.
pub fn invoked_as_plugin(argv0: Option<&std::ffi::OsStr>) -> bool {
    argv0
        .map(std::path::Path::new)
        .and_then(|p| p.file_stem())
        .is_some_and(|n| n == PLUGIN_FILE_NAME)
}

/// The command name help and usage show: `kubectl eks-kc` in the plugin form.
pub fn display_bin_name(argv0: Option<&std::ffi::OsStr>) -> &'static str {
    if invoked_as_plugin(argv0) {
        "kubectl eks-kc"
    } else {
        "eks-kc"
    }
}

/// The command name this process's advice names (`run `{bin} sync``): `kubectl eks-kc` when
/// it was started as the kubectl plugin, else `eks-kc`. The one place every message that names
/// an eks-kc command gets it from; decided once, from argv[0], when a message first needs it
/// (never on the token cache's hit path, which prints no advice).
pub fn bin() -> &'static str {
    static BIN: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();
    BIN.get_or_init(|| display_bin_name(std::env::args_os().next().as_deref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_made_visible() {
        assert!(matches!(safe("prod.eu-west-1.team"), Cow::Borrowed(_)));
        assert_eq!(safe("a\x1b]0;pwned\x07b"), "a\\x1b]0;pwned\\x07b");
        assert_eq!(safe("x\ry\n\t"), "x\\x0dy\\x0a\\x09");
        assert_eq!(safe("c\u{9b}31m"), "c\\x9b31m");
        assert_eq!(safe("l\u{2028}m"), "l\\u{2028}m");
        assert_eq!(safe("Zürich 東京"), "Zürich 東京");
        // Look-alikes: a zero-width space, a right-to-left override, isolates, a word joiner.
        assert_eq!(safe("prod\u{200b}"), "prod\\u{200b}");
        assert_eq!(safe("\u{202e}nimda-dorp"), "\\u{202e}nimda-dorp");
        assert_eq!(
            safe("a\u{2066}b\u{2069}\u{2060}\u{feff}"),
            "a\\u{2066}b\\u{2069}\\u{2060}\\u{feff}"
        );
        assert_eq!(safe_lines("one\ntwo\x1b[2J"), "one\ntwo\\x1b[2J");
        let mut w = SafeWriter(Vec::new());
        std::io::Write::write_all(&mut w, "+ a\x1b[31m\n".as_bytes()).unwrap();
        std::io::Write::write_all(&mut w, b"\xff\x07z").unwrap();
        assert_eq!(String::from_utf8(w.0).unwrap(), "+ a\\x1b[31m\n\\xff\\x07z");
    }

    #[test]
    fn only_plain_https_urls_are_opened() {
        assert!(is_openable_url(
            "https://device.sso.us-east-1.amazonaws.com/?user_code=AB-CD"
        ));
        assert!(is_openable_url("HTTPS://x.example/"));
        for bad in [
            "file:///etc/passwd",
            "javascript:alert(1)",
            "-e https://x/",
            "https://x/\x1b]8;;",
            "https://x/ y",
            "http://x/",
            "https://",
            "https://ünicode/",
        ] {
            assert!(!is_openable_url(bad), "{bad:?}");
        }
    }
}
