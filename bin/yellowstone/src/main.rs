//! `yellowstone`: one binary for the Yellowstone compute market, in the manner of `cast` and
//! `forge`. Each subcommand lives in its own module under `yellowstone_cli::cli`.

use yellowstone_cli::cli;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = cli::Cli::parse();
    match args.command.run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
