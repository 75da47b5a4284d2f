//! The little HTTP/1.1 the classroom page needs, with every resource bounded:
//! connections, threads, header and body bytes, time to send a request, time
//! to take a reply. One request per connection (`Connection: close`).
//!
//! A connection gets its own short-lived thread only to read the request and
//! write the reply (cheap, bounded by [`Limits::max_connections`] and the
//! deadlines); simulations run on a fixed pool of workers fed through a
//! bounded queue. So four slow clients (slowloris) hold four reader threads
//! until their deadline, not the workers, and everyone else is still served.

use super::api::MAX_BODY_BYTES;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

/// What one client may take from the server.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Connections open at once (each has a reader thread); more get 503.
    pub max_connections: usize,
    /// Request line and headers together.
    pub max_header_bytes: usize,
    pub max_headers: usize,
    /// Time to send the whole request (line, headers, body).
    pub request_deadline: Duration,
    /// Time to take the reply.
    pub write_timeout: Duration,
    /// Requests waiting for a worker; more get 503.
    pub max_queued: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: 64,
            max_header_bytes: 16 * 1024,
            max_headers: 64,
            request_deadline: Duration::from_secs(10),
            write_timeout: Duration::from_secs(10),
            max_queued: 32,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Path without query or fragment.
    pub path: String,
    /// (lower-case name, value)
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

/// A request that could not be read: the status and message to answer with
/// (None: the client is gone or too slow; just close).
#[derive(Debug)]
pub struct Refusal {
    pub status: u16,
    pub key: &'static str,
    pub message: String,
}

fn refusal(status: u16, key: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        status,
        key,
        message: message.into(),
    }
}

/// Read one request within `limits`: headers up to `max_header_bytes`, a body
/// of at most [`MAX_BODY_BYTES`] declared by Content-Length, all before
/// `request_deadline`.
pub fn read_request(s: &mut TcpStream, limits: &Limits) -> Result<Request, Refusal> {
    let deadline = Instant::now() + limits.request_deadline;
    let slow = || {
        refusal(
            408,
            "request",
            "the request did not arrive in time; send it whole",
        )
    };
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i;
        }
        if buf.len() > limits.max_header_bytes {
            return Err(refusal(
                431,
                "headers",
                format!(
                    "the request line and headers are larger than {} bytes",
                    limits.max_header_bytes
                ),
            ));
        }
        let n = read_some(s, &mut chunk, deadline).ok_or_else(slow)?;
        if n == 0 {
            return Err(refusal(400, "request", "the connection closed mid-request"));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    if head_end > limits.max_header_bytes {
        return Err(refusal(
            431,
            "headers",
            format!(
                "the request line and headers are larger than {} bytes",
                limits.max_header_bytes
            ),
        ));
    }
    let head = std::str::from_utf8(&buf[..head_end])
        .map_err(|_| refusal(400, "request", "the request headers are not UTF-8 text"))?;
    let mut lines = head.split("\r\n");
    let line = lines.next().unwrap_or("");
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(refusal(400, "request", "malformed request line"));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(refusal(505, "request", "only HTTP/1.x is spoken here"));
    }
    let mut headers = Vec::new();
    for l in lines {
        if headers.len() >= limits.max_headers {
            return Err(refusal(
                431,
                "headers",
                format!("more than {} header lines", limits.max_headers),
            ));
        }
        let Some((k, v)) = l.split_once(':') else {
            return Err(refusal(400, "headers", "malformed header line"));
        };
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
    }
    let mut rq = Request {
        method: method.to_string(),
        path: target.split(['?', '#']).next().unwrap_or("/").to_string(),
        headers,
        body: Vec::new(),
    };
    if rq.header("transfer-encoding").is_some() {
        return Err(refusal(
            411,
            "body",
            "chunked bodies are not accepted; send Content-Length",
        ));
    }
    let len = match rq.header("content-length") {
        None => 0,
        Some(v) => v
            .parse::<u64>()
            .map_err(|_| refusal(400, "body", "Content-Length is not a number"))?,
    };
    if len > MAX_BODY_BYTES as u64 {
        return Err(refusal(400, "body", super::api::body_too_large().message));
    }
    let len = len as usize;
    if len > 0
        && rq
            .header("expect")
            .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"))
    {
        let _ = s.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
    }
    let mut body = buf.split_off(head_end + 4);
    if body.len() > len {
        body.truncate(len);
    }
    while body.len() < len {
        let want = (len - body.len()).min(chunk.len());
        let n = read_some(s, &mut chunk[..want], deadline).ok_or_else(slow)?;
        if n == 0 {
            return Err(refusal(400, "body", "the connection closed mid-body"));
        }
        body.extend_from_slice(&chunk[..n]);
    }
    rq.body = body;
    Ok(rq)
}

/// One read that gives up at `deadline` (None: timed out or failed).
fn read_some(s: &mut TcpStream, buf: &mut [u8], deadline: Instant) -> Option<usize> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        s.set_read_timeout(Some(left)).ok()?;
        match s.read(buf) {
            Ok(n) => return Some(n),
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return None,
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        411 => "Length Required",
        421 => "Misdirected Request",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Error",
    }
}

/// The bytes of `r` on the wire (headers only for HEAD).
pub fn response_bytes(r: &Response, head_only: bool) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\
         Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\n\
         Content-Security-Policy: default-src 'self'; img-src 'self' data:\r\n\r\n",
        r.status,
        reason(r.status),
        r.content_type,
        r.body.len()
    )
    .into_bytes();
    if !head_only {
        out.extend_from_slice(&r.body);
    }
    out
}

/// Send `r` (headers only for HEAD) and close the connection gracefully.
pub fn write_response(s: &mut TcpStream, r: &Response, head_only: bool, limits: &Limits) {
    let _ = s.set_write_timeout(Some(limits.write_timeout));
    if s.write_all(&response_bytes(r, head_only)).is_ok() {
        let _ = s.flush();
    }
    close(s);
}

/// Close after the reply: stop sending, then drain (briefly, boundedly) what
/// the client still sends, so the reply is not lost to a connection reset.
pub fn close(s: &mut TcpStream) {
    let _ = s.shutdown(Shutdown::Write);
    let deadline = Instant::now() + Duration::from_millis(500);
    let mut sink = [0u8; 8192];
    let mut drained = 0usize;
    while drained < 4 * MAX_BODY_BYTES {
        match read_some(s, &mut sink, deadline) {
            Some(n) if n > 0 => drained += n,
            _ => break,
        }
    }
}
