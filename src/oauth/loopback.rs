//! The loopback listener of the PKCE sign-in: `127.0.0.1` on a port the OS picks, waiting (with
//! a deadline) for the one request that brings the browser back from IAM Identity Center, and
//! answering it with a page that says what happened.
//!
//! Anything may connect, so nothing here trusts a request: a connection sends at most
//! [`MAX_REQUEST`] bytes before its request line is judged, a silent one is dropped after
//! [`IDLE`], at most [`MAX_CONNECTIONS`] are open at once (a browser's speculative connections
//! do not block the real one), other paths (a favicon) get a 404, a request without a code or an
//! error is answered 400, and the wait goes on. The first code or error ends it; the listener
//! is closed then, so a second request finds no one.

use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::{CALLBACK_PATH, Callback, parse_callback, redirect_uri, state_matches};
use crate::secret::Secret;

/// The most a request may send before its head is complete.
pub const MAX_REQUEST: usize = 16 * 1024;
/// How long a connection may stay silent.
pub const IDLE: Duration = Duration::from_secs(10);
/// Connections open at once; the oldest is dropped for a new one.
pub const MAX_CONNECTIONS: usize = 16;
const POLL: Duration = Duration::from_millis(20);

/// How the wait ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The authorization code, with the expected state.
    Code(Secret),
    /// The sign-in was refused or failed (`error`, as the redirect said, and its description).
    Denied {
        error: String,
        description: Option<String>,
    },
    /// A code came with another state: refused.
    WrongState,
    /// Nothing came back before the deadline.
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

    /// Waits until `deadline` for the redirect carrying a code (checked against `state`) or an
    /// error. Consumes the listener: it stops listening when this returns.
    pub fn wait(self, state: &str, deadline: Instant) -> Outcome {
        let mut open: Vec<Connection> = Vec::new();
        loop {
            if Instant::now() >= deadline {
                return Outcome::TimedOut;
            }
            match self.socket.accept() {
                Ok((stream, _)) => {
                    if stream.set_nonblocking(true).is_ok() {
                        if open.len() >= MAX_CONNECTIONS {
                            open.remove(0);
                        }
                        open.push(Connection::new(stream));
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) => tracing::debug!("the sign-in listener could not accept: {e}"),
            }
            let mut i = 0;
            while i < open.len() {
                match open[i].poll() {
                    Poll::Waiting if open[i].since.elapsed() < IDLE => i += 1,
                    Poll::Waiting | Poll::Closed => {
                        open.swap_remove(i);
                    }
                    Poll::Head(head) => {
                        let conn = open.swap_remove(i);
                        if let Some(outcome) = conn.answer(head.as_deref(), state) {
                            return outcome;
                        }
                    }
                }
            }
            std::thread::sleep(POLL);
        }
    }
}

struct Connection {
    stream: TcpStream,
    buf: Vec<u8>,
    since: Instant,
}

enum Poll {
    Waiting,
    Closed,
    /// The request line, once the head is complete; `None` when it was too large or not text.
    Head(Option<String>),
}

impl Connection {
    fn new(stream: TcpStream) -> Self {
        Connection {
            stream,
            buf: Vec::new(),
            since: Instant::now(),
        }
    }

    fn poll(&mut self) -> Poll {
        let mut chunk = [0u8; 4096];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(0) => return Poll::Closed,
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    if let Some(end) = head_end(&self.buf) {
                        let head = std::str::from_utf8(&self.buf[..end]).ok();
                        return Poll::Head(head.and_then(|h| h.lines().next()).map(str::to_owned));
                    }
                    if self.buf.len() >= MAX_REQUEST {
                        return Poll::Head(None);
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Poll::Waiting,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return Poll::Closed,
            }
        }
    }

    /// Answers the request whose request line is `line`; `Some` when it ends the wait.
    fn answer(self, line: Option<&str>, state: &str) -> Option<Outcome> {
        let Some(line) = line else {
            self.respond("431 Request Header Fields Too Large", NOT_SIGN_IN);
            return None;
        };
        let mut words = line.split(' ');
        let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        if path != CALLBACK_PATH {
            self.respond("404 Not Found", NOT_SIGN_IN);
            return None;
        }
        if method != "GET" {
            self.respond("405 Method Not Allowed", NOT_SIGN_IN);
            return None;
        }
        let outcome = match parse_callback(query) {
            None => {
                self.respond("400 Bad Request", NOT_SIGN_IN);
                return None;
            }
            Some(Callback::Error { error, description }) => {
                self.respond("200 OK", DENIED);
                Outcome::Denied { error, description }
            }
            Some(Callback::Code { state: got, .. }) if !state_matches(state, &got) => {
                self.respond("400 Bad Request", WRONG_STATE);
                Outcome::WrongState
            }
            Some(Callback::Code { code, .. }) => {
                self.respond("200 OK", SIGNED_IN);
                Outcome::Code(code)
            }
        };
        Some(outcome)
    }

    fn respond(mut self, status: &str, body: &str) {
        let page = format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>eks-kc</title></head>\
             <body style=\"font-family:sans-serif;margin:3em\"><h1>eks-kc</h1><p>{body}</p>\
             </body></html>\n"
        );
        let answer = format!(
            "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: \
             {}\r\nCache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nConnection: \
             close\r\n\r\n{page}",
            page.len()
        );
        let _ = self.stream.set_nonblocking(false);
        let _ = self.stream.set_write_timeout(Some(Duration::from_secs(2)));
        let _ = self.stream.write_all(answer.as_bytes());
        let _ = self.stream.flush();
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
    }
}

const SIGNED_IN: &str = "Signed in to IAM Identity Center. You can close this tab and go back \
                         to the terminal.";
const DENIED: &str = "The sign-in was not allowed. Go back to the terminal to try again.";
const WRONG_STATE: &str = "This answer does not belong to the sign-in eks-kc is waiting for, \
                           so it was refused. Go back to the terminal to try again.";
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
        let waiter = std::thread::spawn(move || l.wait("s", soon()));
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
    fn a_wrong_state_or_an_error_ends_the_wait_refused() {
        let (l, port) = listen();
        let c = send(
            port,
            b"GET /oauth/callback?code=c&state=other HTTP/1.1\r\n\r\n",
        );
        assert_eq!(l.wait("s", soon()), Outcome::WrongState);
        assert!(c.join().unwrap().starts_with("HTTP/1.1 400"));

        let (l, port) = listen();
        let c = send(
            port,
            b"GET /oauth/callback?error=access_denied&state=s HTTP/1.1\n\n",
        );
        assert_eq!(
            l.wait("s", soon()),
            Outcome::Denied {
                error: "access_denied".into(),
                description: None
            }
        );
        assert!(c.join().unwrap().contains("not allowed"));
    }

    #[test]
    fn the_wait_is_bounded() {
        let (l, port) = listen();
        let _silent = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let started = Instant::now();
        let outcome = l.wait("s", Instant::now() + Duration::from_millis(300));
        assert_eq!(outcome, Outcome::TimedOut);
        assert!(started.elapsed() < Duration::from_secs(3));
    }
}
