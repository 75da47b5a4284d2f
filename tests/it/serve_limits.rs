//! Issue 15: the classroom server under hostile clients, on loopback only, every
//! loop bounded and every wait timed out, the server stopped by each test.

use ccgsim::serve::http::Limits;
use ccgsim::serve::{Options, Server};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

fn start(limits: Limits) -> Server {
    let opts = Options {
        limits,
        allowed_hosts: vec!["classroom.lan".into()],
    };
    Server::start_with("127.0.0.1:0".parse().unwrap(), 2, opts).unwrap()
}

fn quick() -> Limits {
    Limits {
        max_connections: 16,
        request_deadline: Duration::from_secs(2),
        write_timeout: Duration::from_secs(2),
        ..Limits::default()
    }
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(20))).unwrap();
    s
}

/// Send raw bytes, read the whole reply: (status, body).
fn exchange(addr: SocketAddr, raw: &[u8]) -> (u16, Vec<u8>) {
    let mut s = connect(addr);
    let _ = s.write_all(raw);
    read_reply(&mut s)
}

fn read_reply(s: &mut TcpStream) -> (u16, Vec<u8>) {
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let Some(split) = out.windows(4).position(|w| w == b"\r\n\r\n") else {
        return (0, out);
    };
    let head = String::from_utf8_lossy(&out[..split]).to_string();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, out[split + 4..].to_vec())
}

fn post(addr: SocketAddr, host: &str, extra: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let mut raw = format!(
        "POST /api/run HTTP/1.1\r\nHost: {host}\r\n{extra}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    raw.extend_from_slice(body);
    exchange(addr, &raw)
}

fn get(addr: SocketAddr, path: &str) -> (u16, Vec<u8>) {
    exchange(
        addr,
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
}

#[test]
fn slow_clients_do_not_block_others_and_are_cut_off() {
    let server = start(quick());
    let addr = server.addr();
    // Eight slowloris clients: headers and half a body, then nothing.
    let mut slow: Vec<TcpStream> = (0..8)
        .map(|_| {
            let mut s = connect(addr);
            s.write_all(
                format!(
                    "POST /api/run HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 100\r\n\r\n{{\"months\""
                )
                .as_bytes(),
            )
            .unwrap();
            s
        })
        .collect();
    // Everyone else is served meanwhile (before: every worker hung forever).
    let t = Instant::now();
    assert_eq!(get(addr, "/").0, 200);
    assert_eq!(
        post(addr, &addr.to_string(), "", br#"{"months": 3}"#).0,
        200
    );
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    // The slow ones are answered 408 and closed at the deadline.
    for s in &mut slow {
        let (status, _) = read_reply(s);
        assert_eq!(status, 408);
    }
    assert!(t.elapsed() < Duration::from_secs(6), "{:?}", t.elapsed());
    server.stop();
}

#[test]
fn a_request_with_thousands_of_unknown_keys_is_cheap_and_short() {
    let server = start(Limits::default());
    let addr = server.addr();
    // The attack: ~250 kB, 23,734 unknown keys in one event's `set`.
    let mut set = serde_json::Map::new();
    for i in 0..23_734 {
        set.insert(format!("k{i}"), 1.into());
    }
    let body = serde_json::to_vec(&serde_json::json!({
        "events": [{"month": 1, "set": set}]
    }))
    .unwrap();
    assert!(body.len() < ccgsim::serve::api::MAX_BODY_BYTES);
    let t = Instant::now();
    let (status, reply) = post(addr, &addr.to_string(), "", &body);
    let took = t.elapsed();
    assert_eq!(status, 400);
    // Before: 9 s of CPU and a 46 MB reply.
    assert!(reply.len() < 10_000, "{} bytes", reply.len());
    assert!(took < Duration::from_secs(3), "{took:?}");
    // Many unknown keys, but under the value cap: at most 20 problems and a count.
    let mut params = serde_json::Map::new();
    for i in 0..500 {
        params.insert(format!("ccg.unknown_{i}"), 1.into());
    }
    let body = serde_json::to_vec(&serde_json::json!({ "params": params })).unwrap();
    let (status, reply) = post(addr, &addr.to_string(), "", &body);
    // The most values allowed, every one an unknown key in events: still quick.
    let events: Vec<Value> = (0..ccgsim::serve::api::MAX_EVENTS)
        .map(|e| {
            let set: serde_json::Map<String, Value> = (0..6)
                .map(|i| (format!("zz{e}_{i}"), Value::from(1)))
                .collect();
            serde_json::json!({ "month": 1, "set": set })
        })
        .collect();
    let t = Instant::now();
    let (s2, r2) = post(
        addr,
        &addr.to_string(),
        "",
        &serde_json::to_vec(&serde_json::json!({ "events": events })).unwrap(),
    );
    let took = t.elapsed();
    assert_eq!(s2, 400);
    assert!(r2.len() < 16_000, "{} bytes", r2.len());
    assert!(took < Duration::from_secs(3), "{took:?}");
    eprintln!("500 events × 6 unknown keys answered in {took:?}");
    assert_eq!(status, 400);
    let v: Value = serde_json::from_slice(&reply).unwrap();
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 21, "{v}");
    let last = errors[20]["message"].as_str().unwrap();
    assert!(last.contains("and 480 more"), "{last}");
    server.stop();
}

#[test]
fn huge_headers_are_refused_without_being_stored() {
    let server = start(quick());
    let addr = server.addr();
    let mut s = connect(addr);
    s.write_all(format!("GET / HTTP/1.1\r\nHost: {addr}\r\nX-Big: ").as_bytes())
        .unwrap();
    // Keep sending (up to 8 MB) until the server answers and closes.
    let chunk = vec![b'a'; 64 * 1024];
    let mut sent = 0usize;
    while sent < 8 << 20 {
        match s.write(&chunk) {
            Ok(n) => sent += n,
            Err(_) => break,
        }
    }
    let (status, _) = read_reply(&mut s);
    // Either the 431 arrived, or the server reset the connection after it.
    assert!(status == 431 || status == 0, "status {status}");
    assert!(sent < 8 << 20, "the server kept reading {sent} bytes");
    // Too many header lines too.
    let mut raw = format!("GET / HTTP/1.1\r\nHost: {addr}\r\n");
    for i in 0..200 {
        raw.push_str(&format!("X-{i}: 1\r\n"));
    }
    raw.push_str("\r\n");
    assert_eq!(exchange(addr, raw.as_bytes()).0, 431);
    // Chunked bodies (no length up front) are refused.
    let raw = format!(
        "POST /api/run HTTP/1.1\r\nHost: {addr}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
    );
    assert_eq!(exchange(addr, raw.as_bytes()).0, 411);
    server.stop();
}

/// Threads of this process (the server runs inside the test binary).
fn threads() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn idle_connections_are_bounded() {
    let limits = Limits {
        max_connections: 8,
        ..quick()
    };
    let server = start(limits);
    let addr = server.addr();
    let before = threads();
    // 100 idle connections (before: 1,009 threads for 1,000).
    let idle: Vec<TcpStream> = (0..100).map(|_| connect(addr)).collect();
    std::thread::sleep(Duration::from_millis(300));
    let grown = threads().saturating_sub(before);
    // Other tests in this binary start threads too; the server adds at most 8.
    assert!(grown <= 8 + 16, "{grown} more threads");
    // A newcomer past the limit is told the server is busy, at once.
    let t = Instant::now();
    let (status, _) = get(addr, "/");
    assert_eq!(status, 503);
    assert!(t.elapsed() < Duration::from_secs(2));
    drop(idle);
    // Once the idle ones are gone (closed by the client or cut at the deadline), all is well.
    let served = (0..50).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        get(addr, "/").0 == 200
    });
    assert!(served);
    server.stop();
}

#[test]
fn dns_rebinding_is_refused() {
    let server = start(quick());
    let addr = server.addr();
    let port = addr.port();
    let run = br#"{"months": 2}"#;
    // attacker.example re-pointed at 127.0.0.1: the page's own origin, a foreign Host.
    let (status, body) = post(
        addr,
        &format!("attacker.example:{port}"),
        &format!("Origin: http://attacker.example:{port}\r\n"),
        run,
    );
    assert_eq!(status, 403);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["errors"][0]["key"], "host");
    // The page itself (GET /) is refused to that Host too.
    let (status, _) = exchange(
        addr,
        format!("GET / HTTP/1.1\r\nHost: attacker.example:{port}\r\n\r\n").as_bytes(),
    );
    assert_eq!(status, 403);
    // Loopback names, IP addresses and hosts given at start are served.
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
        format!("192.168.1.20:{port}"),
        format!("classroom.lan:{port}"),
    ] {
        let (status, body) = post(addr, &host, &format!("Origin: http://{host}\r\n"), run);
        assert_eq!(status, 200, "{host}: {}", String::from_utf8_lossy(&body));
    }
    server.stop();
}

#[test]
fn host_names_are_matched_exactly() {
    use ccgsim::serve::host_allowed;
    let extra = vec!["classroom.lan".to_string()];
    for ok in [
        "localhost",
        "LOCALHOST:80",
        "app.localhost",
        "10.0.0.1:8080",
        "[::1]:1",
        "classroom.lan",
    ] {
        assert!(host_allowed(ok, &extra), "{ok}");
    }
    for bad in [
        "attacker.example",
        "localhost.attacker.example",
        "127.0.0.1.nip.io",
        "classroom.lan.evil",
        "[::1",
        "",
    ] {
        assert!(!host_allowed(bad, &extra), "{bad}");
    }
}
