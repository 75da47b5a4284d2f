//! The `ccgsim serve` command: prints the address it listens on, warns when
//! that is not loopback, and refuses bad addresses with exit code 2.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

fn ccgsim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ccgsim"))
}

#[test]
fn prints_a_loopback_url_that_serves_the_page() {
    let mut child = ccgsim()
        .args(["serve", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .to_string();
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    assert!(addr.starts_with("127.0.0.1:"), "{url}");
    let mut s = TcpStream::connect(&addr).unwrap();
    write!(
        s,
        "GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut page = String::new();
    s.read_to_string(&mut page).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(page.starts_with("HTTP/1.1 200"), "{page:.80}");
    assert!(page.contains("ccgsim classroom"));
}

#[test]
fn bad_hosts_are_usage_errors_and_non_loopback_is_warned_about() {
    let out = ccgsim()
        .args(["serve", "--host", "example.org"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected an IP address"));

    // 192.0.2.1 is reserved for documentation: the warning is printed, then
    // listening fails because no interface has that address (exit 1).
    let out = ccgsim()
        .args(["serve", "--host", "192.0.2.1", "--port", "0"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("warning: listening on 192.0.2.1"), "{err}");
    assert!(err.contains("cannot listen on 192.0.2.1"), "{err}");
    assert_eq!(out.status.code(), Some(1));
}
