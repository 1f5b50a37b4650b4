//! `-v`/`-vv`/`-vvv` diagnostics on stderr: off unless asked for (the cache-hit path stays free
//! of it), coloured only on a terminal and never with `NO_COLOR`, and each line once (the AWS
//! SDK loads the same files several times in one run and would say so each time).

use std::collections::HashSet;
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::io::{self, IsTerminal};
use std::sync::Mutex;

use tracing::field::{Field, Visit};
use tracing::{Event, Metadata};
use tracing_subscriber::layer::{Context, Filter};

/// Sets up diagnostics for `verbose` (the number of `-v`). The SigV4 signer is held at `info`
/// whatever the verbosity, because its debug and trace output contain canonical requests (with
/// session tokens).
pub fn init(verbose: u8) {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::prelude::*;
    if verbose == 0 {
        return;
    }
    let (ours, sdk) = match verbose {
        1 => (LevelFilter::DEBUG, LevelFilter::WARN),
        2 => (LevelFilter::TRACE, LevelFilter::INFO),
        _ => (LevelFilter::TRACE, LevelFilter::DEBUG),
    };
    let filter = Targets::new()
        .with_default(sdk)
        .with_target("eks_kc", ours)
        .with_target("aws_sigv4", LevelFilter::INFO.min(sdk))
        .with_target(
            "aws_smithy_runtime::client::http",
            LevelFilter::INFO.min(sdk),
        );
    let colour = colour(
        io::stderr().is_terminal(),
        crate::settings::env::var_os("NO_COLOR"),
    );
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(io::stderr)
                .with_ansi(colour)
                .with_filter(Once::default()),
        )
        .with(filter)
        .init();
}

/// Colour only on a terminal, and never when `NO_COLOR` is set to anything but "" (no-color.org).
fn colour(terminal: bool, no_color: Option<std::ffi::OsString>) -> bool {
    terminal && no_color.is_none_or(|v| v.is_empty())
}

/// Lets each distinct event (callsite and field values) through once.
#[derive(Default)]
struct Once {
    seen: Mutex<HashSet<u64>>,
}

impl<S> Filter<S> for Once {
    fn enabled(&self, _meta: &Metadata<'_>, _cx: &Context<'_, S>) -> bool {
        true
    }

    fn event_enabled(&self, event: &Event<'_>, _cx: &Context<'_, S>) -> bool {
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        let mut h = std::collections::hash_map::DefaultHasher::new();
        event.metadata().callsite().hash(&mut h);
        fields.0.hash(&mut h);
        self.seen
            .lock()
            .map(|mut seen| seen.insert(h.finish()))
            .unwrap_or(true)
    }
}

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, "{}={value:?};", field.name());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(colour(true, None));
        assert!(!colour(false, None));
        assert!(!colour(true, Some("1".into())));
        assert!(colour(true, Some("".into())));
    }
}
