//! The `stoa` binary: parses the command line and hands off to the library. Wiring only.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
