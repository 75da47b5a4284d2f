//! `ccgsim serve`: start the classroom page and print its address.

use ccgsim::error::{Error, Result};
use ccgsim::serve::Server;
use clap::Args;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

#[derive(Args)]
pub struct ServeArgs {
    /// IP address to listen on; anything but loopback (127.0.0.1, ::1) makes the page reachable from other machines
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 = any free port)
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Requests answered at the same time
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    threads: u16,
    /// A host name browsers may use to reach the page besides localhost and IP
    /// addresses (repeatable); other names in the Host header are refused, which
    /// stops DNS-rebinding attacks
    #[arg(long = "allow-host", value_name = "NAME")]
    allow_host: Vec<String>,
}

pub fn cmd_serve(a: ServeArgs) -> Result<()> {
    // An IP address, or `localhost`: no name lookup, so nothing leaves the machine.
    let ip: IpAddr = match a.host.as_str() {
        "localhost" => Ipv4Addr::LOCALHOST.into(),
        h => h.trim_matches(['[', ']']).parse().map_err(|_| {
            Error::Usage(format!(
                "--host {h}: expected an IP address such as 127.0.0.1 (this computer only) or 0.0.0.0 (every network), or localhost"
            ))
        })?,
    };
    let addr = SocketAddr::new(ip, a.port);
    if !addr.ip().is_loopback() {
        ccgsim::warnln!(
            "warning: listening on {}, which other machines on the network can reach; \
             the page has no login. Use --host 127.0.0.1 to keep it on this computer.",
            addr.ip()
        );
    }
    let opts = ccgsim::serve::Options {
        allowed_hosts: a.allow_host.clone(),
        ..Default::default()
    };
    let server = Server::start_with(addr, a.threads as usize, opts)?;
    ccgsim::outln!(
        "ccgsim classroom page: open {} in a browser (Ctrl-C stops)",
        server.url()
    );
    let _ = std::io::stdout().flush();
    server.wait();
    Ok(())
}
