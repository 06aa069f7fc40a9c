//! `mimir tail`: follow a run that streams its entries.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use mimir::format::{Json, Simple};
use mimir::stream::{Item, Subscriber, DEFAULT_PUB_PORT, DEFAULT_SNAPSHOT_PORT};
use mimir::{Error, ErrorKind, Format};

/// Print the entries of a running log as they are published.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The machine the run publishes from.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port of the run's updates (PUB) socket.
    #[arg(long, value_name = "P", default_value_t = DEFAULT_PUB_PORT)]
    pub_port: u16,
    /// Port of the run's snapshot socket.
    #[arg(long, value_name = "P", default_value_t = DEFAULT_SNAPSHOT_PORT)]
    snapshot_port: u16,
    /// First print the entries the run keeps for late joiners.
    #[arg(long)]
    history: bool,
    /// Print raw JSON lines instead of the Simple format.
    #[arg(long)]
    json: bool,
    /// Exit after N entries.
    #[arg(long, value_name = "N")]
    count: Option<u64>,
}

/// How often the loop looks at the Ctrl-C flag while no entry comes.
const POLL: Duration = Duration::from_millis(100);

/// Follows the stream until `--count` entries, Ctrl-C, or a closed output.
pub fn run(args: Args) -> Result<(), Error> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst)).map_err(|e| {
        Error::new(
            ErrorKind::Config,
            format!("installing the Ctrl-C handler: {e}"),
        )
    })?;

    let mut subscriber = Subscriber::builder(args.host.as_str())
        .ports(args.pub_port, args.snapshot_port)
        .history(args.history)
        .connect()?;
    let mut format: Box<dyn Format> = if args.json {
        Box::new(Json)
    } else {
        Box::new(Simple)
    };
    let mut out = io::stdout().lock();
    let mut printed = 0u64;
    while !stop.load(Ordering::SeqCst) && args.count.map_or(true, |n| printed < n) {
        match subscriber.recv_timeout(POLL)? {
            None => {}
            Some(Item::Entry { entry, .. }) => {
                let written = format.format(&entry, &mut out).and_then(|()| out.flush());
                match written {
                    Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(()),
                    other => {
                        other.map_err(|e| Error::io("writing", "standard output".as_ref(), e))?
                    }
                }
                printed += 1;
            }
            Some(Item::Gap { first, last }) => {
                eprintln!("mimir: entries {first} to {last} were lost (this client fell behind, or they left the run's snapshot)");
            }
            Some(_) => {}
        }
    }
    Ok(())
}
