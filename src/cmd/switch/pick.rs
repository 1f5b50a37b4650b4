//! The fuzzy picker of `use` and `ns` without a name (nucleo-picker), and what stands in for it
//! without a terminal: the candidates, one per line. Only these two commands reach this code,
//! so no other command starts a thread pool or touches the terminal's mode.
//!
//! The picker draws on stderr (stdout carries data only, and the shell function captures it)
//! and reads keys from the terminal; it leaves the screen as it found it (an alternate screen),
//! whichever way it ends: a pick, Esc, an error, or SIGINT, SIGTERM or SIGHUP (caught while it
//! is open: the terminal is given back, then the process dies of the signal). A terminal that
//! hangs up (closed, with SIGHUP ignored as under `nohup`) ends it too: crossterm would otherwise
//! poll the dead terminal in a busy loop for ever.

use std::borrow::Cow;
use std::convert::Infallible;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Result, bail};
use nucleo_picker::error::PickError;
use nucleo_picker::event::{Event, EventSource, RecvError, StdinReader, keybind_no_multi};
use nucleo_picker::nucleo::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_picker::nucleo::{Config, Matcher};
use nucleo_picker::{PickerOptions, Render};

use crate::display::safe;
use crate::settings::ShellEnv;

/// One candidate: the value chosen (a context or namespace name, exact) and what the picker
/// shows of it (and matches the query against): its name, then a line of detail, every part
/// escaped for the terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub value: String,
    pub shown: String,
}

impl Row {
    /// `name` (marked when `current`) over an indented `detail` line (none when empty).
    pub fn new(name: &str, current: bool, detail: &str) -> Row {
        let mut shown = safe(name).into_owned();
        if current {
            shown.push_str("  (current)");
        }
        if !detail.is_empty() {
            shown.push_str("\n    ");
            shown.push_str(&safe(detail));
        }
        Row {
            value: name.to_owned(),
            shown,
        }
    }
}

struct Shown;

impl Render<Row> for Shown {
    type Str<'a> = &'a str;

    fn render<'a>(&self, row: &'a Row) -> &'a str {
        &row.shown
    }
}

/// What the person did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Picked {
    One(String),
    /// Esc, Ctrl-C, Ctrl-D on an empty query, or Enter with nothing matching.
    Nothing,
}

/// Whether a person is there to pick: stdin and stderr are terminals, and so is stdout, or,
/// when the shell function captures stdout, the function's own (it says so).
pub fn on_terminal(env: ShellEnv) -> bool {
    let stdout = match env.eval {
        Some(_) => env.terminal,
        None => std::io::stdout().is_terminal(),
    };
    stdout && std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Whether what is printed on stdout reaches a terminal (names are then escaped).
pub fn stdout_is_terminal(env: ShellEnv) -> bool {
    match env.eval {
        Some(_) => env.terminal,
        None => std::io::stdout().is_terminal(),
    }
}

/// Opens the picker on `rows` (in this order while the query is empty; ranked by match once
/// one is typed) with `query` typed already.
pub fn pick(rows: Vec<Row>, query: &str) -> Result<Picked> {
    pick_streamed(rows, |_| {}, query)
}

/// [`pick`] on `first`, then on the rows `more` hands to its `push` (in order, after `first`)
/// on a thread of its own while the picker is open, so the first screen is drawn before the
/// rest are made. `push` says `false` once the picker is closed: `more` then stops.
pub fn pick_streamed<F>(first: Vec<Row>, more: F, query: &str) -> Result<Picked>
where
    F: FnOnce(&mut dyn FnMut(Vec<Row>) -> bool) + Send + 'static,
{
    use std::sync::Arc;
    if first.is_empty() {
        bail!("there is nothing to pick from");
    }
    let mut picker = PickerOptions::new()
        // The query on top, the first row under it: the list reads down, as it is printed.
        .reversed(true)
        .query(query)
        .picker(Shown);
    picker.extend(first);
    let injector = picker.injector();
    let closed = Arc::new(AtomicBool::new(false));
    let done = Arc::clone(&closed);
    let making = std::thread::spawn(move || {
        more(&mut |rows| {
            let open = !done.load(Ordering::Relaxed);
            if open {
                injector.push_batch(rows);
            }
            open
        })
    });
    let picked = if std::io::stderr().is_terminal() {
        let _armed = Armed::new();
        // Stderr unlocked (each frame locks it): a signal's restore writes to it too.
        let mut screen = std::io::BufWriter::new(std::io::stderr());
        let keys = UntilHangUp(StdinReader::new(keybind_no_multi::<Infallible>));
        picker
            .pick_with_io(keys, &mut screen)
            .map(|row| row.map(|r| r.value.clone()))
    } else {
        Err(PickError::NotInteractive)
    };
    closed.store(true, Ordering::Relaxed);
    // At most one batch more: the rows are made from memory.
    let _ = making.join();
    match picked {
        Ok(Some(name)) => Ok(Picked::One(name)),
        Ok(None) | Err(PickError::UserInterrupted) => Ok(Picked::Nothing),
        Err(PickError::NotInteractive) => {
            bail!("the picker needs a terminal on stderr; name one instead")
        }
        Err(PickError::Disconnected) => bail!("the terminal hung up; nothing was picked"),
        Err(e) => bail!("the picker failed: {e}; name one instead"),
    }
}

/// The terminal's keys, as nucleo-picker reads them, until the terminal hangs up.
struct UntilHangUp<S>(S);

impl<S: EventSource> EventSource for UntilHangUp<S> {
    type AbortErr = S::AbortErr;

    fn recv_timeout(&mut self, wait: Duration) -> Result<Event<S::AbortErr>, RecvError> {
        // Checked before each wait (a frame at most): a hung-up terminal reads as end of file
        // at once, which crossterm takes for "no key yet" and polls again, without end.
        if hung_up() {
            return Err(RecvError::Disconnected);
        }
        self.0.recv_timeout(wait)
    }
}

/// Whether the terminal the keys come from (stdin: the picker opens only when it is one, and
/// crossterm then reads it) has hung up or is gone.
#[cfg(unix)]
fn hung_up() -> bool {
    let mut fd = libc::pollfd {
        fd: libc::STDIN_FILENO,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd, and a zero timeout: it never waits.
    let ready = unsafe { libc::poll(&mut fd, 1, 0) };
    ready > 0 && fd.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0
}

#[cfg(not(unix))]
fn hung_up() -> bool {
    false
}

/// While the picker is open: a signal (SIGINT, SIGTERM, SIGHUP) or a panic gives the terminal
/// back before the process ends (nucleo-picker does it on every other way out).
struct Armed(#[allow(dead_code)] crate::signals::OnInterrupt);

static ARMED: AtomicBool = AtomicBool::new(false);

impl Armed {
    fn new() -> Armed {
        static HOOK: std::sync::Once = std::sync::Once::new();
        HOOK.call_once(|| {
            // Release builds abort on a panic, so no guard's drop would run.
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                if ARMED.load(Ordering::SeqCst) {
                    restore_terminal();
                }
                previous(info);
            }));
        });
        ARMED.store(true, Ordering::SeqCst);
        Armed(crate::signals::on_interrupt(restore_terminal))
    }
}

impl Drop for Armed {
    fn drop(&mut self) {
        ARMED.store(false, Ordering::SeqCst);
    }
}

/// Undoes what nucleo-picker did to the terminal: raw mode off (crossterm puts back the mode
/// it saved), bracketed paste off, the cursor shown, the main screen back.
fn restore_terminal() {
    let _ = crossterm::terminal::disable_raw_mode();
    let mut err = std::io::stderr();
    let _ = err.write_all(b"\x1b[?2004l\x1b[?25h\x1b[?1049l");
    let _ = err.flush();
}

/// `names` that match `query`, best first (ties in the order given); all of them, in order,
/// when the query is empty. The same matching as the picker's, on the names alone.
pub fn matching<'a>(names: &'a [String], query: &str) -> Vec<&'a str> {
    let pattern = Pattern::parse(query, CaseMatching::Smart, Normalization::Smart);
    let mut matcher = Matcher::new(Config::DEFAULT);
    pattern
        .match_list(names.iter().map(String::as_str), &mut matcher)
        .into_iter()
        .map(|(name, _)| name)
        .collect()
}

/// Prints `names` one per line: as they are for a program reading them, escaped (see
/// `display::safe`) when stdout is a terminal. Run by the shell function, as shell code that
/// prints them (output that starts like its mark must never be evaluated as code).
pub fn print(names: &[&str], env: ShellEnv, out: &mut dyn Write) -> Result<()> {
    let escape = stdout_is_terminal(env);
    let lines: Vec<String> = names
        .iter()
        .map(|n| match escape {
            true => safe(n),
            false => Cow::Borrowed(*n),
        })
        .map(Cow::into_owned)
        .collect();
    match env.eval {
        Some(dialect) => out.write_all(&crate::shell::script::eval(dialect, None, &lines))?,
        None => {
            let mut buffered = std::io::BufWriter::new(out);
            for line in &lines {
                writeln!(buffered, "{line}")?;
            }
            buffered.flush()?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_show_escaped_names_and_keep_the_exact_one() {
        let row = Row::new("evil\u{1b}]0;owned\u{7}", true, "cluster \u{1b}[2J");
        assert_eq!(row.value, "evil\u{1b}]0;owned\u{7}");
        assert_eq!(
            row.shown,
            "evil\\x1b]0;owned\\x07  (current)\n    cluster \\x1b[2J"
        );
        assert!(!row.shown.chars().any(|c| c.is_control() && c != '\n'));
        assert_eq!(Row::new("a", false, "").shown, "a");
        // A newline in a name cannot start a second line of its own.
        assert_eq!(Row::new("a\nb", false, "").shown, "a\\x0ab");
    }

    #[test]
    fn matching_ranks_the_names_and_keeps_the_order_without_a_query() {
        let names: Vec<String> = ["dev.eu", "prod.eu", "prod.us", "kind"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            matching(&names, ""),
            ["dev.eu", "prod.eu", "prod.us", "kind"]
        );
        assert_eq!(matching(&names, "prod"), ["prod.eu", "prod.us"]);
        assert_eq!(matching(&names, "pus"), ["prod.us"]);
        assert!(matching(&names, "zzz").is_empty());
    }

    #[test]
    fn printing_escapes_only_for_a_terminal_and_quotes_for_the_shell_function() {
        let names = ["a\u{1b}[2Jb", "# eks-kc eval"];
        let env = ShellEnv {
            eval: Some(crate::shell::Dialect::Bash),
            terminal: true,
            ..ShellEnv::default()
        };
        let mut out = vec![];
        print(&names, env, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("# eks-kc eval\n"), "{text}");
        assert!(text.contains("printf '%s\\n' 'a\\x1b[2Jb'"), "{text}");
        assert!(text.contains("printf '%s\\n' '# eks-kc eval'"), "{text}");
        let env = ShellEnv {
            terminal: false,
            ..env
        };
        let mut out = vec![];
        print(&names, env, &mut out).unwrap();
        assert!(String::from_utf8(out).unwrap().contains("'a\u{1b}[2Jb'"));
    }
}
