//! `mimir recover`: complete an interrupted write of a gzip log.

use std::path::PathBuf;

use mimir::gzlog::{self, Operation};
use mimir::{Error, ErrorKind};

/// Complete an operation that a crash interrupted in a .jsonl.gz log.
///
/// A lock left by a process that is no longer running (on this host) is
/// taken over at once; one held by a live process makes this fail.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The log (.jsonl.gz).
    path: PathBuf,
}

/// Recovers the log and prints what was done.
pub fn run(args: Args) -> Result<(), Error> {
    let path = &args.path;
    if !path.extension().is_some_and(|ext| ext == "gz") {
        return Err(Error::new(
            ErrorKind::Config,
            format!(
                "{}: only gzip logs (.jsonl.gz) need recovery",
                path.display()
            ),
        ));
    }
    if !path.exists() {
        return Err(Error::new(
            ErrorKind::Io,
            format!("{}: no such file", path.display()),
        ));
    }
    let report = gzlog::recover(path.with_extension(""))
        .map_err(|e| Error::new(ErrorKind::Io, e.to_string()).with_source(e))?;
    let name = path.display();
    match report {
        None => println!("{name}: nothing to recover, the log is complete"),
        Some(r) => {
            let what = match r.operation {
                Operation::Append => "an append",
                Operation::Compress => "a compression",
                Operation::Replace => "the dictionary replacement after a compression",
            };
            let data = match r.add_loaded {
                Some(true) => format!(", using the {} bytes saved in the .add file", r.add_len),
                Some(false) => {
                    ", without its .add file: that operation's data is not in the log".to_owned()
                }
                None => String::new(),
            };
            println!("{name}: completed {what} that had been interrupted{data}");
        }
    }
    Ok(())
}
