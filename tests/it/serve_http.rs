//! `ccgsim serve` over real HTTP on a free loopback port: the page and its
//! files come from the binary, the API answers JSON, bad requests get 4xx JSON.

use ccgsim::serve::Server;
use ccgsim::serve::api::MAX_BODY_BYTES;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

/// Send one request and return (status, content type, body).
fn http(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> (u16, String, Vec<u8>) {
    http_from(addr, method, path, body, "")
}

/// The same with extra header lines (each ending in \r\n).
fn http_from(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &[u8],
    extra: &str,
) -> (u16, String, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    // The server may answer (and close) before reading an over-long body.
    let _ = s.write_all(body);
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let content_type = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-type")
                .then(|| v.trim().to_string())
        })
        .unwrap_or_default();
    (status, content_type, raw[split + 4..].to_vec())
}

fn json(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap()
}

#[test]
fn serves_the_page_and_the_api_on_loopback() {
    let server = Server::start("127.0.0.1:0".parse().unwrap(), 2).unwrap();
    let addr = server.addr();
    assert!(addr.ip().is_loopback() && addr.port() != 0);
    assert_eq!(server.url(), format!("http://{addr}/"));

    let (status, ty, body) = http(addr, "GET", "/", b"");
    assert_eq!((status, ty.as_str()), (200, "text/html; charset=utf-8"));
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("<script src=\"/app.js\"") && html.contains("/style.css"));
    // No CDN: every script and stylesheet is one of ours.
    assert!(!html.contains("http://") && !html.contains("https://"));
    for path in ["/app.js", "/style.css"] {
        let (status, _, body) = http(addr, "GET", path, b"");
        assert_eq!(status, 200, "{path}");
        assert!(!body.is_empty());
    }

    let (status, ty, body) = http(addr, "GET", "/api/meta", b"");
    assert_eq!((status, ty.as_str()), (200, "application/json"));
    assert!(!json(&body)["presets"].as_array().unwrap().is_empty());

    let (status, _, body) = http(addr, "POST", "/api/run", br#"{"months": 6, "futures": 3}"#);
    assert_eq!(status, 200);
    let out = json(&body);
    assert_eq!(out["series"]["credibility"].as_array().unwrap().len(), 7);
    assert_eq!(out["futures"].as_array().unwrap().len(), 3);

    let (status, ty, body) = http(
        addr,
        "POST",
        "/api/run",
        br#"{"months": 6, "params": {"constitution.sanctions": 2}}"#,
    );
    assert_eq!((status, ty.as_str()), (400, "application/json"));
    assert_eq!(
        json(&body)["errors"][0]["message"],
        "2 is out of range; allowed a number from 0 to 1"
    );

    // The page itself may run; another web site may not.
    let run = br#"{"months": 2}"#;
    let own = format!("Origin: http://{addr}\r\n");
    assert_eq!(http_from(addr, "POST", "/api/run", run, &own).0, 200);
    let other = "Origin: http://evil.example\r\n";
    let (status, _, body) = http_from(addr, "POST", "/api/run", run, other);
    assert_eq!(status, 403);
    assert_eq!(json(&body)["errors"][0]["key"], "origin");

    let big = vec![b' '; MAX_BODY_BYTES + 10];
    let (status, _, body) = http(addr, "POST", "/api/run", &big);
    assert_eq!(status, 400);
    assert_eq!(json(&body)["errors"][0]["key"], "body");

    let (status, _, body) = http(addr, "GET", "/api/run", b"");
    assert_eq!(status, 405);
    assert!(
        json(&body)["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("use POST")
    );
    let (status, _, _) = http(addr, "GET", "/../Cargo.toml", b"");
    assert_eq!(status, 404);
    let (status, _, _) = http(addr, "DELETE", "/", b"");
    assert_eq!(status, 404);

    server.stop();
    // The accept thread closes the listening socket when it stops.
    let closed = (0..200).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(10));
        TcpStream::connect(addr).is_err()
    });
    assert!(closed, "the socket is closed after stop");
}
