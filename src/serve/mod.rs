//! `ccgsim serve`: a small HTTP server for the classroom page. It serves the
//! static page compiled into the binary ([`assets`]) and a stateless JSON API
//! ([`api`]) that runs the same engine as `ccgsim run`.
//!
//! Routes: `GET /` (page), `GET /app.js`, `GET /style.css`, `GET /api/meta`
//! (limits, parameter table, presets), `POST /api/run` (simulate a timeline).

pub mod api;
pub mod assets;
pub mod presets;

use crate::error::{Error, Result};
use std::io::Read;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use tiny_http::{Header, Method, Request, Response};

/// A running server: worker threads taking requests off one listening socket.
pub struct Server {
    http: Arc<tiny_http::Server>,
    addr: SocketAddr,
    stopping: Arc<AtomicBool>,
    workers: Vec<JoinHandle<()>>,
}

impl Server {
    /// Listen on `addr` (port 0 picks a free port) and answer with `threads` workers.
    pub fn start(addr: SocketAddr, threads: usize) -> Result<Server> {
        let http = tiny_http::Server::http(addr).map_err(|e| {
            Error::Refused(format!(
                "cannot listen on {addr}: {e} (is another server using the port? try --port)"
            ))
        })?;
        let addr = http.server_addr().to_ip().unwrap_or(addr);
        let http = Arc::new(http);
        let stopping = Arc::new(AtomicBool::new(false));
        let workers = (0..threads.max(1))
            .map(|_| {
                let (http, stopping) = (Arc::clone(&http), Arc::clone(&stopping));
                std::thread::spawn(move || {
                    loop {
                        match http.recv() {
                            Ok(rq) => handle(rq),
                            Err(_) if stopping.load(Ordering::SeqCst) => break,
                            Err(_) => continue, // a failed connection; keep serving
                        }
                    }
                })
            })
            .collect();
        Ok(Server {
            http,
            addr,
            stopping,
            workers,
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
    pub fn wait(self) {
        for w in self.workers {
            let _ = w.join();
        }
    }

    /// Stop the workers and close the socket (used by tests).
    pub fn stop(self) {
        self.stopping.store(true, Ordering::SeqCst);
        for _ in &self.workers {
            self.http.unblock();
        }
        for w in self.workers {
            let _ = w.join();
        }
    }
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("static header is valid")
}

/// Headers on every response: nothing is cached between settings, and the page
/// may load only its own files (no CDN, no inline script).
fn respond(rq: Request, status: u16, content_type: &str, body: Vec<u8>) {
    let response = Response::from_data(body)
        .with_status_code(status)
        .with_header(header("Content-Type", content_type))
        .with_header(header("Cache-Control", "no-store"))
        .with_header(header("X-Content-Type-Options", "nosniff"))
        .with_header(header("Referrer-Policy", "no-referrer"))
        .with_header(header(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:",
        ));
    let _ = rq.respond(response); // the browser went away: nothing to do
}

fn respond_json(rq: Request, status: u16, value: &impl serde::Serialize) {
    let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    respond(rq, status, "application/json", body);
}

fn respond_problems(rq: Request, status: u16, problems: &[api::Problem]) {
    respond_json(rq, status, &serde_json::json!({ "errors": problems }));
}

fn handle(mut rq: Request) {
    let path = rq.url().split(['?', '#']).next().unwrap_or("/").to_string();
    let method = rq.method().clone();
    match (&method, path.as_str()) {
        (Method::Post, "/api/run") if !same_origin(&rq) => {
            let p = api::Problem {
                key: "origin".into(),
                message:
                    "requests from other web sites are refused; open the page this server prints"
                        .into(),
            };
            respond_problems(rq, 403, &[p]);
        }
        (Method::Post, "/api/run") => {
            let body = match read_body(&mut rq) {
                Ok(b) => b,
                Err(p) => return respond_problems(rq, 400, &[p]),
            };
            match api::run_json(&body) {
                Ok(out) => respond_json(rq, 200, &out),
                Err(problems) => respond_problems(rq, 400, &problems),
            }
        }
        (Method::Get, "/api/meta") => {
            static META: OnceLock<Vec<u8>> = OnceLock::new();
            let body = META.get_or_init(|| serde_json::to_vec(&api::meta()).unwrap_or_default());
            respond(rq, 200, "application/json", body.clone());
        }
        (_, "/api/run" | "/api/meta") => {
            let allowed = if path == "/api/run" { "POST" } else { "GET" };
            let p = api::Problem {
                key: "method".into(),
                message: format!("{method} is not allowed here; use {allowed}"),
            };
            respond_problems(rq, 405, &[p]);
        }
        (Method::Get | Method::Head, _) => match assets::get(&path) {
            Some((ty, bytes)) => respond(rq, 200, ty, bytes.to_vec()),
            None => not_found(rq, &path),
        },
        _ => not_found(rq, &path),
    }
}

/// A browser names the page that sent a request in `Origin`: refuse runs asked
/// for by another web site (a page on the internet poking at localhost).
/// Requests without `Origin` (curl, scripts) are allowed.
fn same_origin(rq: &Request) -> bool {
    let get = |name: &'static str| {
        rq.headers()
            .iter()
            .find(|h| h.field.equiv(name))
            .map(|h| h.value.as_str().to_string())
    };
    match (get("Origin"), get("Host")) {
        (None, _) => true,
        (Some(origin), Some(host)) => origin == format!("http://{host}"),
        (Some(_), None) => false,
    }
}

fn not_found(rq: Request, path: &str) {
    let p = api::Problem {
        key: "path".into(),
        message: format!("nothing at {path}; the page is at /"),
    };
    respond_problems(rq, 404, &[p]);
}

/// The request body, refused past [`api::MAX_BODY_BYTES`] without reading it all.
fn read_body(rq: &mut Request) -> std::result::Result<Vec<u8>, api::Problem> {
    let limit = api::MAX_BODY_BYTES;
    if rq.body_length().is_some_and(|n| n > limit) {
        return Err(api::body_too_large());
    }
    let mut body = Vec::new();
    rq.as_reader()
        .take(limit as u64 + 1)
        .read_to_end(&mut body)
        .map_err(|e| api::Problem {
            key: "body".into(),
            message: format!("cannot read the request body: {e}"),
        })?;
    if body.len() > limit {
        return Err(api::body_too_large());
    }
    Ok(body)
}
