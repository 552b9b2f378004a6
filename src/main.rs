use std::process::ExitCode;

/// mimalloc instead of the system allocator: under transfer load, glibc malloc and free were a
/// fifth of the server's CPU samples; mimalloc gave 3–4% more transfers per second (README,
/// Benchmarks).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = tresor::cli::parse();
    tresor::private_files::restrict_new_files();
    let config = match tresor::config::load() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("tresor: {error}");
            return ExitCode::from(2);
        }
    };
    if let Err(error) = tresor::private_files::protect_dir(&config.data_dir) {
        eprintln!("tresor: data_dir {}: {error}", config.data_dir.display());
        return ExitCode::FAILURE;
    }
    tresor::telemetry::init(config.log_format);
    actix_web::rt::System::new().block_on(tresor::commands::run(cli, config))
}
