use std::process::ExitCode;

/// mimalloc instead of the system allocator: under transfer load, glibc malloc and free were a
/// fifth of the server's CPU samples; mimalloc gave 3–4% more transfers per second
/// (bench/README.md). Built without its transparent-huge-page advice (`no_thp`): with it, an
/// idle server kept 63 MB of 2 MB pages for about 16 MB of heap; without, SQLite transfers ran
/// about 4% slower in alternating runs (bench/README.md, Memory).
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
