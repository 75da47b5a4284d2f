//! `ccgsim serve`: start the classroom page and print its address.

use ccgsim::error::{Error, Result};
use ccgsim::serve::Server;
use clap::Args;
use std::io::Write;
use std::net::{SocketAddr, ToSocketAddrs};

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on; anything but loopback makes the page reachable from other machines
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 = any free port)
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Requests answered at the same time
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    threads: u16,
}

pub fn cmd_serve(a: ServeArgs) -> Result<()> {
    let addr: SocketAddr = (a.host.as_str(), a.port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut it| it.next())
        .ok_or_else(|| {
            Error::Usage(format!(
                "--host {}: not an address this machine can listen on (e.g. 127.0.0.1)",
                a.host
            ))
        })?;
    if !addr.ip().is_loopback() {
        eprintln!(
            "warning: listening on {}, which other machines on the network can reach; \
             the page has no login. Use --host 127.0.0.1 to keep it on this computer.",
            addr.ip()
        );
    }
    let server = Server::start(addr, a.threads as usize)?;
    println!(
        "ccgsim classroom page: open {} in a browser (Ctrl-C stops)",
        server.url()
    );
    let _ = std::io::stdout().flush();
    server.wait();
    Ok(())
}
