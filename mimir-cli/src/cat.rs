//! `mimir cat`: print a log's entries.

use std::io::{self, Write};
use std::path::PathBuf;

use mimir::format::{Json, Simple};
use mimir::{Error, Format};

/// Print the entries of a log file.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The log to read (.jsonl or .jsonl.gz, also while it is being written).
    path: PathBuf,
    /// Print raw JSON lines instead of the Simple format.
    #[arg(long)]
    json: bool,
}

/// Prints every entry; stops at the first malformed line with its number.
pub fn run(args: Args) -> Result<(), Error> {
    let mut format: Box<dyn Format> = if args.json {
        Box::new(Json)
    } else {
        Box::new(Simple)
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let stdout_error = |e: io::Error| Error::io("writing", "standard output".as_ref(), e);
    let entries = mimir::read(&args.path)?;
    if entries.needs_recovery() {
        eprintln!(
            "mimir: {} has an interrupted write; showing the entries complete before it (`mimir recover` completes it)",
            args.path.display()
        );
    }
    for entry in entries {
        match format.format(&entry?, &mut out) {
            // A closed pipe (`mimir cat log | head`) is a normal way to stop.
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(()),
            other => other.map_err(stdout_error)?,
        }
    }
    match out.flush() {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(stdout_error),
    }
}
