//! The `mimir` command: run the quickstart demo and read logs.

mod cat;
mod demo;
mod recover;
mod tail;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Mímir: a fast, crash-safe logger for experiments.
#[derive(Debug, Parser)]
#[command(name = "mimir", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Demo(demo::Args),
    Cat(cat::Args),
    Recover(recover::Args),
    Tail(tail::Args),
}

/// Exit code for a failure (bad arguments, unreadable files), as clap uses.
const FAILURE: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Cat(args) => cat::run(args),
        Command::Recover(args) => recover::run(args),
        Command::Tail(args) => tail::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("mimir: {err}");
            ExitCode::from(FAILURE)
        }
    }
}
