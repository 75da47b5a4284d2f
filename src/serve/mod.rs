//! `ccgsim serve`: a small HTTP server for the classroom page. It serves the
//! static page compiled into the binary ([`assets`]) and a stateless JSON API
//! ([`api`]) that runs the same engine as `ccgsim run`.
//!
//! Routes: `GET /` (page), `GET /app.js`, `GET /style.css`, `GET /api/meta`
//! (limits, parameter table, presets), `POST /api/run` (simulate a timeline).

pub mod api;
pub mod assets;
pub mod http;
pub mod presets;

use crate::error::{Error, Result};
use http::{Limits, Request, Response};
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

/// A request handed to the workers, and where to send the answer.
type Job = (Request, std::sync::mpsc::Sender<Response>);

/// A running server: an accept thread, a short-lived thread per connection
/// (at most [`Limits::max_connections`]) that reads the request and writes
/// the reply, and `threads` workers that answer requests.
pub struct Server {
    addr: SocketAddr,
    stopping: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
    workers: Vec<JoinHandle<()>>,
    jobs: Option<SyncSender<Job>>,
}

/// Who may be served: Host names besides loopback and IP addresses.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub limits: Limits,
    /// Extra host names accepted in the `Host` header (e.g. a machine's name on
    /// a classroom network). Loopback names and IP addresses are always accepted.
    pub allowed_hosts: Vec<String>,
}

impl Server {
    /// Listen on `addr` (port 0 picks a free port) and answer with `threads` workers.
    pub fn start(addr: SocketAddr, threads: usize) -> Result<Server> {
        Server::start_with(addr, threads, Options::default())
    }

    pub fn start_with(addr: SocketAddr, threads: usize, opts: Options) -> Result<Server> {
        let listener = TcpListener::bind(addr).map_err(|e| {
            Error::Refused(format!(
                "cannot listen on {addr}: {e} (is another server using the port? try --port)"
            ))
        })?;
        let addr = listener.local_addr().unwrap_or(addr);
        let stopping = Arc::new(AtomicBool::new(false));
        let (tx, rx) = sync_channel::<Job>(opts.limits.max_queued);
        let rx = Arc::new(Mutex::new(rx));
        let workers = (0..threads.max(1))
            .map(|_| {
                let rx = Arc::clone(&rx);
                std::thread::spawn(move || work(&rx))
            })
            .collect();
        let acceptor = {
            let (stopping, tx) = (Arc::clone(&stopping), tx.clone());
            let opts = Arc::new(opts);
            std::thread::spawn(move || accept(listener, &stopping, &tx, &opts))
        };
        Ok(Server {
            addr,
            stopping,
            acceptor: Some(acceptor),
            workers,
            jobs: Some(tx),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address to open in a browser.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Serve until the process is stopped.
    pub fn wait(mut self) {
        if let Some(a) = self.acceptor.take() {
            let _ = a.join();
        }
    }

    /// Stop accepting, close the socket, finish the queued requests (used by tests).
    pub fn stop(mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        // Wake the accept call with a connection of our own.
        let mut wake = self.addr;
        if wake.ip().is_unspecified() {
            wake.set_ip(match wake {
                SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        let _ = TcpStream::connect_timeout(&wake, Duration::from_secs(1));
        if let Some(a) = self.acceptor.take() {
            let _ = a.join();
        }
        self.jobs = None;
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

/// Worker: answer queued requests until every sender is gone.
fn work(rx: &Mutex<Receiver<Job>>) {
    loop {
        let job = match rx.lock() {
            Ok(r) => r.recv(),
            Err(_) => return,
        };
        let Ok((rq, reply)) = job else { return };
        let _ = reply.send(handle(&rq));
    }
}

/// Accept connections; each gets a reader thread while fewer than the limit are open.
fn accept(
    listener: TcpListener,
    stopping: &AtomicBool,
    jobs: &SyncSender<Job>,
    opts: &Arc<Options>,
) {
    let open = Arc::new(AtomicUsize::new(0));
    for conn in listener.incoming() {
        if stopping.load(Ordering::SeqCst) {
            break;
        }
        let Ok(mut s) = conn else { continue };
        if open.load(Ordering::SeqCst) >= opts.limits.max_connections {
            busy(&mut s, "too many connections are open");
            continue;
        }
        open.fetch_add(1, Ordering::SeqCst);
        let (open2, jobs, opts2) = (Arc::clone(&open), jobs.clone(), Arc::clone(opts));
        let spawned = std::thread::Builder::new()
            .name("ccgsim-conn".into())
            .stack_size(256 * 1024)
            .spawn(move || {
                connection(s, &jobs, &opts2);
                open2.fetch_sub(1, Ordering::SeqCst);
            });
        if spawned.is_err() {
            open.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// Answer 503 without waiting on the client: the accept loop calls this, and
/// must never block (a client that does not read gets a truncated reply).
fn busy(s: &mut TcpStream, why: &str) {
    let r = problems(
        503,
        &[api::Problem {
            key: "server".into(),
            message: format!("the server is busy ({why}); try again in a moment"),
        }],
    );
    let _ = s.set_nonblocking(true);
    let _ = s.write_all(&http::response_bytes(&r, false));
    let _ = s.shutdown(std::net::Shutdown::Both);
}

/// One connection: read the request (bounded), check its Host, queue it for a
/// worker, write the reply.
fn connection(mut s: TcpStream, jobs: &SyncSender<Job>, opts: &Options) {
    let limits = &opts.limits;
    let rq = match http::read_request(&mut s, limits) {
        Ok(rq) => rq,
        Err(r) if r.status == 408 => {
            // Too slow: do not spend a write on it beyond the timeout.
            let p = api::Problem {
                key: r.key.into(),
                message: r.message,
            };
            return http::write_response(&mut s, &problems(408, &[p]), false, limits);
        }
        Err(r) => {
            let p = api::Problem {
                key: r.key.into(),
                message: r.message,
            };
            return http::write_response(&mut s, &problems(r.status, &[p]), false, limits);
        }
    };
    let head_only = rq.method == "HEAD";
    if !allowed_host(&rq, &opts.allowed_hosts) {
        let p = api::Problem {
            key: "host".into(),
            message:
                "the Host header names neither this computer (localhost, an IP address) nor a \
                      host the server was started with; open the address the server prints"
                    .into(),
        };
        return http::write_response(&mut s, &problems(403, &[p]), head_only, limits);
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let response = match jobs.try_send((rq, tx)) {
        Ok(()) => rx.recv().ok(),
        Err(_) => None,
    };
    match response {
        Some(r) => http::write_response(&mut s, &r, head_only, limits),
        None => busy(&mut s, "too many requests are waiting"),
    }
}

/// DNS rebinding defence: a page on attacker.example whose name was re-pointed
/// at 127.0.0.1 still sends `Host: attacker.example`. Accept only loopback
/// names, IP addresses (which cannot be rebound) and hosts given at start.
pub fn host_allowed(host: &str, extra: &[String]) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        match rest.split_once(']') {
            Some((ip, _)) => return ip.parse::<std::net::Ipv6Addr>().is_ok(),
            None => return false,
        }
    } else {
        match host.rsplit_once(':') {
            Some((n, port)) if port.bytes().all(|b| b.is_ascii_digit()) => n,
            _ => host,
        }
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name.parse::<std::net::Ipv4Addr>().is_ok()
        || name == "localhost"
        || name.ends_with(".localhost")
        || extra.iter().any(|h| h.eq_ignore_ascii_case(&name))
}

fn allowed_host(rq: &Request, extra: &[String]) -> bool {
    match rq.header("host") {
        Some(h) => host_allowed(h, extra),
        // HTTP/1.0 clients (scripts) may omit it; a browser never does.
        None => true,
    }
}

fn problems(status: u16, problems: &[api::Problem]) -> Response {
    let shown = api::cap_problems(problems.to_vec());
    json(status, &serde_json::json!({ "errors": shown }))
}

fn json(status: u16, value: &impl serde::Serialize) -> Response {
    Response {
        status,
        content_type: "application/json",
        body: serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec()),
    }
}

/// Route one request (on a worker thread).
fn handle(rq: &Request) -> Response {
    let path = rq.path.as_str();
    match (rq.method.as_str(), path) {
        ("POST", "/api/run") if !same_origin(rq) => {
            let p = api::Problem {
                key: "origin".into(),
                message:
                    "requests from other web sites are refused; open the page this server prints"
                        .into(),
            };
            problems(403, &[p])
        }
        ("POST", "/api/run") => match api::run_json(&rq.body) {
            Ok(out) => json(200, &out),
            Err(p) => problems(400, &p),
        },
        ("GET" | "HEAD", "/api/meta") => {
            static META: OnceLock<Vec<u8>> = OnceLock::new();
            let body = META.get_or_init(|| serde_json::to_vec(&api::meta()).unwrap_or_default());
            Response {
                status: 200,
                content_type: "application/json",
                body: body.clone(),
            }
        }
        (method, "/api/run" | "/api/meta") => {
            let allowed = if path == "/api/run" { "POST" } else { "GET" };
            let p = api::Problem {
                key: "method".into(),
                message: format!(
                    "{} is not allowed here; use {allowed}",
                    crate::error::escape_controls(method)
                ),
            };
            problems(405, &[p])
        }
        ("GET" | "HEAD", _) => match assets::get(path) {
            Some((ty, bytes)) => Response {
                status: 200,
                content_type: ty,
                body: bytes.to_vec(),
            },
            None => not_found(path),
        },
        _ => not_found(path),
    }
}

/// A browser names the page that sent a request in `Origin`: refuse runs asked
/// for by another web site (a page on the internet poking at localhost).
/// Requests without `Origin` (curl, scripts) are allowed.
fn same_origin(rq: &Request) -> bool {
    match (rq.header("origin"), rq.header("host")) {
        (None, _) => true,
        (Some(origin), Some(host)) => origin == format!("http://{host}"),
        (Some(_), None) => false,
    }
}

fn not_found(path: &str) -> Response {
    let mut shown: String = path.chars().take(200).collect();
    if shown.len() < path.len() {
        shown.push('…');
    }
    let p = api::Problem {
        key: "path".into(),
        message: format!(
            "nothing at {}; the page is at /",
            crate::error::escape_controls(&shown)
        ),
    };
    problems(404, &[p])
}
