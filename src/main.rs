use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = tresor::cli::parse();
    let config = match tresor::config::load() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("tresor: {error}");
            return ExitCode::from(2);
        }
    };
    tresor::telemetry::init(config.log_format);
    actix_web::rt::System::new().block_on(tresor::commands::run(cli, config))
}
