//! The `stoa` binary: parses the command line and hands off to the library. Wiring only.

mod cli;

use std::process::ExitCode;

/// mimalloc: the request path allocates and frees many small buffers across threads, where
/// glibc's malloc spent ~20% of the instructions (callgrind, P1).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    cli::main()
}
