//! The person's web browser, for `eks-kc login --sso-session`: whether one can open here at all,
//! and opening a page in it (`BROWSER`, as Python's `webbrowser` and xdg-open read it, else the
//! desktop's opener).

use std::process::{Command, Stdio};

use crate::display::{is_openable_url, safe};

/// Why no browser can open a page for this process, `None` when one can: an SSH session (a
/// browser would start on the far machine, or not at all), or on Linux and the other Unixes no
/// display. `BROWSER` set says there is one (a text browser, say).
pub fn unavailable(env: impl Fn(&str) -> Option<String>) -> Option<String> {
    let set = |name: &str| env(name).is_some_and(|v| !v.trim().is_empty());
    if set("BROWSER") {
        return None;
    }
    if let Some(var) = ["SSH_CONNECTION", "SSH_TTY", "SSH_CLIENT"]
        .into_iter()
        .find(|v| set(v))
    {
        return Some(format!("this is an SSH session ({var} is set)"));
    }
    let desktop_opener = cfg!(any(target_os = "macos", windows));
    if !desktop_opener && !set("DISPLAY") && !set("WAYLAND_DISPLAY") {
        return Some("there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set)".into());
    }
    None
}

/// Whose page `url` is, which decides what may be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// A URL a server sent (the device flow's verification page): a plain `https://` URL only
    /// (see `display::is_openable_url`), never `file://`, `javascript:` or a `-option`.
    Sent,
    /// A URL eks-kc built on the OIDC endpoint it talks to: also `http://` on 127.0.0.1 or
    /// localhost (an endpoint override, as in tests).
    Built,
}

/// Opens `url` in a browser; the URL was printed either way. `BROWSER` (a `:`-separated list of
/// commands, `%s` standing for the URL, else the URL is the last argument) comes first, then
/// `open` (macOS) or `xdg-open`. Starting with `http`, the URL can never be read as an option,
/// so no `--` is needed (xdg-open would take `--` for the URL). The browser gets no terminal:
/// its stdin, stdout and stderr are null, and it is not waited for.
pub fn open(url: &str, page: Page, env: impl Fn(&str) -> Option<String>) {
    let allowed = is_openable_url(url) || (page == Page::Built && is_loopback_http(url));
    if !allowed {
        eprintln!(
            "eks-kc: not opening {} in a browser: only https:// URLs are opened; open it \
             yourself if you trust it",
            safe(url)
        );
        return;
    }
    let mut commands: Vec<Vec<String>> = env("BROWSER")
        .unwrap_or_default()
        .split(':')
        .map(|entry| command_line(entry, url))
        .filter(|words| !words.is_empty())
        .collect();
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    commands.push(vec![opener.to_owned(), url.to_owned()]);
    let mut failures = vec![];
    for words in &commands {
        let spawned = Command::new(&words[0])
            .args(&words[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        match spawned {
            Ok(_) => return,
            Err(e) => failures.push(format!("{} ({e})", safe(&words[0]))),
        }
    }
    eprintln!(
        "eks-kc: could not start a browser: {}; open the URL yourself",
        failures.join(", ")
    );
}

/// One `BROWSER` entry as a command: words split on whitespace, `%s` replaced by the URL (`%%`
/// is `%`), the URL appended when no word holds `%s`.
fn command_line(entry: &str, url: &str) -> Vec<String> {
    let mut placed = false;
    let mut words: Vec<String> = entry
        .split_whitespace()
        .map(|w| {
            placed |= w.contains("%s");
            w.replace("%s", "\u{0}")
                .replace("%%", "%")
                .replace('\u{0}', url)
        })
        .collect();
    if !words.is_empty() && !placed {
        words.push(url.to_owned());
    }
    words
}

/// `http://127.0.0.1[:port]/…` or `http://localhost[:port]/…`, printable ASCII only.
fn is_loopback_http(url: &str) -> bool {
    let Some(rest) = url.get(..7).filter(|s| s.eq_ignore_ascii_case("http://")) else {
        return false;
    };
    let authority = url[rest.len()..]
        .split(['/', '?', '#'])
        .next()
        .unwrap_or("");
    let host = authority
        .rsplit_once(':')
        .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
        .map_or(authority, |(h, _)| h);
    url.bytes().all(|b| b.is_ascii_graphic())
        && (host == "127.0.0.1" || host.eq_ignore_ascii_case("localhost"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn no_browser_over_ssh_or_without_a_display() {
        let why = unavailable(env(&[("SSH_CONNECTION", "10.0.0.1 5 10.0.0.2 22")]));
        assert!(why.unwrap().contains("SSH_CONNECTION"));
        let why = unavailable(env(&[("DISPLAY", ":0"), ("SSH_TTY", "/dev/pts/1")]));
        assert!(why.unwrap().contains("SSH session"));
        assert_eq!(
            unavailable(env(&[("BROWSER", "w3m"), ("SSH_TTY", "x")])),
            None
        );
        if !cfg!(any(target_os = "macos", windows)) {
            assert!(unavailable(env(&[])).unwrap().contains("no display"));
            assert!(unavailable(env(&[("DISPLAY", " ")])).is_some());
            assert_eq!(unavailable(env(&[("WAYLAND_DISPLAY", "wayland-0")])), None);
            assert_eq!(unavailable(env(&[("DISPLAY", ":0")])), None);
        }
    }

    #[test]
    fn browser_entries_become_commands() {
        let u = "https://x/?a=%41";
        assert_eq!(command_line("firefox", u), ["firefox", u]);
        assert_eq!(
            command_line(" python3  b.py --url=%s ", u),
            ["python3", "b.py", &format!("--url={u}")]
        );
        assert_eq!(command_line("echo 100%% %s", u), ["echo", "100%", u]);
        assert!(command_line("  ", u).is_empty());
    }

    #[test]
    fn loopback_http_is_only_127_0_0_1_or_localhost() {
        for ok in [
            "http://127.0.0.1:8080/authorize?x=1",
            "HTTP://localhost/authorize",
            "http://127.0.0.1",
        ] {
            assert!(is_loopback_http(ok), "{ok}");
        }
        for bad in [
            "http://127.0.0.1.evil.example/",
            "http://evil.example/127.0.0.1",
            "http://user@127.0.0.1/",
            "http://[::1]:80/",
            "http://127.0.0.1/ x",
            "file:///etc/passwd",
            "http:/",
        ] {
            assert!(!is_loopback_http(bad), "{bad}");
        }
    }
}
