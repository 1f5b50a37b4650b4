//! The loopback listener of the PKCE sign-in: `127.0.0.1` on a port the OS picks, waiting (with
//! a deadline) for the one request that brings the browser back from IAM Identity Center, and
//! answering it with a page that says what happened.
//!
//! Anyone on this machine may connect, so nothing here trusts a request. Only a callback that
//! carries this sign-in's `state` (a code, or the portal's error) ends the wait; any other
//! request (another path, a callback without the state, junk) gets a constant page, is counted
//! (`-v` says how many) and changes nothing. Every pending connection is accepted at once and
//! served by its own task (at most [`MAX_CONNECTIONS`] at once: the oldest is cut off for a new
//! one), which has [`READ_DEADLINE`] to send at most [`MAX_REQUEST`] bytes of request head, so
//! a flood of connections does not hold the browser's return off. The listener is closed when
//! the wait ends, so a second request finds no one.

use std::collections::VecDeque;
use std::io::ErrorKind;
use std::net::{Ipv4Addr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use super::{CALLBACK_PATH, Callback, parse_callback, redirect_uri, state_matches};
use crate::secret::Secret;

/// The most a request may send before its head is complete.
pub const MAX_REQUEST: usize = 16 * 1024;
/// How long a connection has to send its request head (a browser sends it at once).
pub const READ_DEADLINE: Duration = Duration::from_secs(2);
/// How long writing the answer may take.
const WRITE_DEADLINE: Duration = Duration::from_secs(2);
/// Connections served at once; the oldest is cut off for a new one.
pub const MAX_CONNECTIONS: usize = 256;

/// How the wait ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The authorization code, with this sign-in's state.
    Code(Secret),
    /// The portal refused or failed the sign-in, with this sign-in's state: its `error` and its
    /// description (the portal's words, untrusted text).
    Denied {
        error: String,
        description: Option<String>,
    },
    /// Nothing with this sign-in's state came back before the deadline.
    TimedOut,
}

/// The listening socket.
pub struct Listener {
    socket: TcpListener,
    port: u16,
}

impl Listener {
    pub fn bind() -> Result<Listener> {
        let socket = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .context("listening on 127.0.0.1 for the browser's return")?;
        socket.set_nonblocking(true)?;
        let port = socket.local_addr()?.port();
        Ok(Listener { socket, port })
    }

    /// `http://127.0.0.1:PORT/oauth/callback`.
    pub fn redirect_uri(&self) -> String {
        redirect_uri(self.port)
    }

    /// Waits until `deadline` for the redirect carrying `state` with a code or an error.
    /// Consumes the listener: it stops listening when this returns.
    pub fn wait(self, state: &str, deadline: Instant) -> Result<Outcome> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the sign-in listener")?;
        let ignored = Arc::new(AtomicUsize::new(0));
        let outcome = runtime.block_on(serve(self.socket, state, deadline, ignored.clone()));
        // Dropping the runtime ends every connection's task and closes the socket.
        drop(runtime);
        let ignored = ignored.load(Ordering::Relaxed);
        if ignored > 0 {
            tracing::debug!(
                "the sign-in listener ignored {ignored} request(s) that did not carry this \
                 sign-in's state"
            );
        }
        outcome
    }
}

async fn serve(
    socket: TcpListener,
    state: &str,
    deadline: Instant,
    ignored: Arc<AtomicUsize>,
) -> Result<Outcome> {
    let socket = tokio::net::TcpListener::from_std(socket)
        .context("listening on 127.0.0.1 for the browser's return")?;
    let (tx, mut rx) = mpsc::channel::<Outcome>(1);
    let state: Arc<str> = Arc::from(state);
    tokio::spawn(async move {
        let mut open: VecDeque<tokio::task::AbortHandle> = VecDeque::new();
        loop {
            let stream = match socket.accept().await {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors, say: the pending connections wait a moment.
                    tracing::debug!("the sign-in listener could not accept: {e}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            };
            open.retain(|h| !h.is_finished());
            if open.len() >= MAX_CONNECTIONS
                && let Some(oldest) = open.pop_front()
            {
                oldest.abort();
            }
            let task = tokio::spawn(connection(
                stream,
                state.clone(),
                tx.clone(),
                ignored.clone(),
            ));
            open.push_back(task.abort_handle());
        }
    });
    let deadline = tokio::time::Instant::from_std(deadline);
    Ok(match tokio::time::timeout_at(deadline, rx.recv()).await {
        Ok(Some(outcome)) => outcome,
        Ok(None) | Err(_) => Outcome::TimedOut,
    })
}

/// Serves one connection: reads its request head (within [`READ_DEADLINE`]), answers it, and
/// sends the outcome when the request ends the wait.
async fn connection(
    stream: TcpStream,
    state: Arc<str>,
    tx: mpsc::Sender<Outcome>,
    ignored: Arc<AtomicUsize>,
) {
    let Ok(head) = tokio::time::timeout(READ_DEADLINE, read_head(&stream)).await else {
        ignored.fetch_add(1, Ordering::Relaxed);
        return;
    };
    let Some(line) = head else {
        return;
    };
    let (status, body, outcome) = judge(line.as_deref(), &state);
    let _ = tokio::time::timeout(WRITE_DEADLINE, write_all(&stream, &page(status, body))).await;
    drop(stream);
    match outcome {
        Some(outcome) => {
            let _ = tx.try_send(outcome);
        }
        None => {
            ignored.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The request line once the head is complete (`Some(None)` when it was too large or not
/// text); `None` when the connection closed first.
async fn read_head(stream: &TcpStream) -> Option<Option<String>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        stream.readable().await.ok()?;
        match stream.try_read(&mut chunk) {
            Ok(0) => return None,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                if let Some(end) = head_end(&buf) {
                    let head = std::str::from_utf8(&buf[..end]).ok();
                    return Some(head.and_then(|h| h.lines().next()).map(str::to_owned));
                }
                if buf.len() >= MAX_REQUEST {
                    return Some(None);
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => {}
            Err(_) => return None,
        }
    }
}

async fn write_all(stream: &TcpStream, mut data: &[u8]) -> std::io::Result<()> {
    while !data.is_empty() {
        stream.writable().await?;
        match stream.try_write(data) {
            Ok(n) => data = &data[n..],
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The answer to the request whose request line is `line` (`None`: too large or not text):
/// its status, its page's text, and the outcome when it ends the wait (only a callback with
/// this sign-in's `state` does).
fn judge(line: Option<&str>, state: &str) -> (&'static str, &'static str, Option<Outcome>) {
    let Some(line) = line else {
        return ("431 Request Header Fields Too Large", NOT_SIGN_IN, None);
    };
    let mut words = line.split(' ');
    let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if path != CALLBACK_PATH {
        return ("404 Not Found", NOT_SIGN_IN, None);
    }
    if method != "GET" {
        return ("405 Method Not Allowed", NOT_SIGN_IN, None);
    }
    let ours = |got: Option<&str>| got.is_some_and(|got| state_matches(state, got));
    match parse_callback(query) {
        Some(Callback::Error {
            error,
            description,
            state: got,
        }) if ours(got.as_deref()) => (
            "200 OK",
            DENIED,
            Some(Outcome::Denied { error, description }),
        ),
        Some(Callback::Code { code, state: got }) if ours(Some(&got)) => {
            ("200 OK", SIGNED_IN, Some(Outcome::Code(code)))
        }
        // Not this sign-in's: an old tab's, or anyone's on this machine.
        Some(_) => ("400 Bad Request", NOT_THIS_SIGN_IN, None),
        None => ("400 Bad Request", NOT_SIGN_IN, None),
    }
}

/// The HTTP answer: `status` and a page saying `body` (a constant).
fn page(status: &str, body: &str) -> Vec<u8> {
    let page = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>eks-kc</title></head>\
         <body style=\"font-family:sans-serif;margin:3em\"><h1>eks-kc</h1><p>{body}</p>\
         </body></html>\n"
    );
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: \
         {}\r\nCache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nConnection: \
         close\r\n\r\n{page}",
        page.len()
    )
    .into_bytes()
}

const SIGNED_IN: &str = "Signed in to IAM Identity Center. You can close this tab and go back \
                         to the terminal.";
const DENIED: &str = "The sign-in was not allowed. Go back to the terminal to try again.";
const NOT_THIS_SIGN_IN: &str = "This answer does not belong to the sign-in eks-kc is waiting \
                                for, so it was ignored.";
const NOT_SIGN_IN: &str = "This address only takes the browser's return from IAM Identity \
                           Center.";

/// Where a request's head ends (the blank line), if it has.
fn head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4)
        .position(|w| w == b"\r\n\r\n")
        .or_else(|| buf.windows(2).position(|w| w == b"\n\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpStream;

    fn send(port: u16, raw: &[u8]) -> std::thread::JoinHandle<String> {
        let raw = raw.to_vec();
        std::thread::spawn(move || {
            let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
            let _ = s.write_all(&raw);
            let mut out = String::new();
            let _ = s.read_to_string(&mut out);
            out
        })
    }

    fn listen() -> (Listener, u16) {
        let l = Listener::bind().unwrap();
        let port = l.port;
        assert_eq!(
            l.redirect_uri(),
            format!("http://127.0.0.1:{port}/oauth/callback")
        );
        (l, port)
    }

    fn soon() -> Instant {
        Instant::now() + Duration::from_secs(10)
    }

    #[test]
    fn junk_is_answered_and_the_real_redirect_ends_the_wait() {
        let (l, port) = listen();
        let silent = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let junk = [
            send(port, b"GET /favicon.ico HTTP/1.1\r\n\r\n"),
            send(
                port,
                b"POST /oauth/callback?code=c&state=s HTTP/1.1\r\n\r\n",
            ),
            send(port, b"GET /oauth/callback?foo=1 HTTP/1.1\r\n\r\n"),
            send(port, b"\xff\xfe\r\n\r\n"),
        ];
        // Too large: cut off (its answer may be lost to the reset of the unread rest).
        let huge = send(port, &[b'a'; 100_000]);
        let waiter = std::thread::spawn(move || l.wait("s", soon()).unwrap());
        for j in junk {
            let answer = j.join().unwrap();
            assert!(answer.starts_with("HTTP/1.1 4"), "{answer}");
        }
        huge.join().unwrap();
        let good = send(
            port,
            b"GET /oauth/callback?code=the-code&state=s HTTP/1.1\r\n\r\n",
        );
        assert_eq!(
            waiter.join().unwrap(),
            Outcome::Code(Secret::new("the-code"))
        );
        assert!(good.join().unwrap().contains("You can close this tab"));
        drop(silent);
        assert!(
            TcpStream::connect(("127.0.0.1", port)).is_err(),
            "still listening"
        );
    }

    #[test]
    fn only_a_callback_with_this_sign_ins_state_ends_the_wait() {
        let (l, port) = listen();
        let waiter = std::thread::spawn(move || l.wait("s", soon()).unwrap());
        for foreign in [
            &b"GET /oauth/callback?code=c&state=other HTTP/1.1\r\n\r\n"[..],
            b"GET /oauth/callback?error=access_denied HTTP/1.1\r\n\r\n",
            b"GET /oauth/callback?error=access_denied&error_description=run+evil&state=x \
              HTTP/1.1\r\n\r\n",
        ] {
            let answer = send(port, foreign).join().unwrap();
            assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
            assert!(answer.contains("so it was ignored"), "{answer}");
            assert!(!answer.contains("evil"), "{answer}");
        }
        let c = send(
            port,
            b"GET /oauth/callback?error=access_denied&state=s HTTP/1.1\n\n",
        );
        assert_eq!(
            waiter.join().unwrap(),
            Outcome::Denied {
                error: "access_denied".into(),
                description: None
            }
        );
        assert!(c.join().unwrap().contains("not allowed"));
    }

    #[test]
    fn a_flood_of_connections_does_not_hold_the_return_off() {
        let (l, port) = listen();
        let waiter = std::thread::spawn(move || l.wait("s", soon()).unwrap());
        // More silent connections than are served at once, and junk requests meanwhile.
        let silent: Vec<TcpStream> = (0..MAX_CONNECTIONS + 50)
            .filter_map(|_| TcpStream::connect(("127.0.0.1", port)).ok())
            .collect();
        let junk: Vec<_> = (0..50)
            .map(|_| send(port, b"GET /oauth/callback?error=x HTTP/1.1\r\n\r\n"))
            .collect();
        let started = Instant::now();
        let good = send(port, b"GET /oauth/callback?code=k&state=s HTTP/1.1\r\n\r\n");
        assert_eq!(waiter.join().unwrap(), Outcome::Code(Secret::new("k")));
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(good.join().unwrap().contains("You can close this tab"));
        drop(silent);
        for j in junk {
            // Those sent after the wait ended find no one.
            let _ = j.join();
        }
    }

    #[test]
    fn the_wait_is_bounded() {
        let (l, port) = listen();
        let _silent = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let started = Instant::now();
        let outcome = l
            .wait("s", Instant::now() + Duration::from_millis(300))
            .unwrap();
        assert_eq!(outcome, Outcome::TimedOut);
        assert!(started.elapsed() < Duration::from_secs(3));
    }
}
