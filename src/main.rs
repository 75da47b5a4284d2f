//! The `ccgsim` command: a thin layer over the library (raw arguments →
//! validated settings → a plan that runs).

mod cli;

fn main() {
    let code = match cli::main() {
        Ok(()) => 0,
        Err(e) => {
            ccgsim::warnln!("{e}");
            e.exit_code()
        }
    };
    std::process::exit(code);
}
