use std::process::ExitCode;

use citizen_feedback::accounts::identity::{normalize_email, normalize_phone};
use citizen_feedback::accounts::service::{self, NewUser};
use citizen_feedback::auth::Role;
use citizen_feedback::auth::password;
use citizen_feedback::clock::Clock;
use citizen_feedback::config::{Config, LogFormat};
use citizen_feedback::i18n::Locale;
use citizen_feedback::media::storage::Storage;
use citizen_feedback::{AppState, db, http};
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "citizen-feedback",
    version,
    about = "Citizen feedback service: reports, triage, statistics, Open311"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (the default). Applies pending migrations first.
    Serve {
        /// Do not run migrations before serving.
        #[arg(long)]
        no_migrate: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI document (JSON) to standard output.
    Openapi,
    /// Build a realistic demo city with months of backdated reports.
    SeedDemo {
        /// How many reports to add.
        #[arg(long, default_value_t = 2000)]
        reports: u64,
        /// Spread them over this many months back from now.
        #[arg(long, default_value_t = 6)]
        months: u32,
        /// Random seed (the same seed gives the same city).
        #[arg(long, default_value_t = 2025)]
        seed: u64,
        /// Reports per chunk: each chunk is one transaction (with its
        /// statistics and the run's progress), so an interrupted run is
        /// finished by the same command.
        #[arg(long, default_value_t = citizen_feedback::seed::DEFAULT_CHUNK)]
        chunk: u64,
        /// From this many reports on, the secondary indexes of reports and
        /// their events are dropped for the load and built after it.
        #[arg(long, default_value_t = citizen_feedback::seed::DEFAULT_DROP_INDEXES_FROM)]
        drop_indexes_from: u64,
    },
    /// Monthly statistics.
    #[command(subcommand)]
    Stats(StatsCommand),
    /// Delete what is past its retention now (expired sessions, unattached
    /// uploads, delivered outbox rows, old read notifications), print the counts.
    Housekeeping,
    /// Create an administrator account.
    CreateAdmin {
        #[arg(long, required_unless_present = "phone")]
        email: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long, env = "ADMIN_PASSWORD", hide_env_values = true)]
        password: String,
        #[arg(long, default_value = "Administrator")]
        full_name: String,
    },
}

#[derive(Subcommand)]
enum StatsCommand {
    /// Write a month's figures to standard output (the frozen snapshot for a closed month).
    Export {
        #[arg(long)]
        month: String,
        #[arg(long, default_value = "csv", value_parser = ["csv", "xlsx", "json"])]
        format: String,
        #[arg(long, default_value = "none", value_parser = ["none", "unit", "category", "area"])]
        group_by: String,
        /// Column headers in English instead of Vietnamese.
        #[arg(long)]
        english: bool,
    },
    /// Recompute every figure from the reports; exit 1 on any difference.
    Check,
    /// Replace the rollup with its recomputation from the reports.
    Rebuild,
    /// Freeze a month's figures (as POST /stats/months/{month}/close).
    Close {
        #[arg(long)]
        month: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Openapi) = cli.command {
        return match citizen_feedback::http::openapi().to_pretty_json() {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let config = match Config::load() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    init_tracing(&config);
    citizen_feedback::install_crypto_provider();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(
        cli.command.unwrap_or(Command::Serve { no_migrate: false }),
        config,
    )) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(config: &Config) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&config.log.filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match config.log.format {
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
        LogFormat::Text => builder.init(),
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    let db = db::connect(&config)
        .await
        .map_err(|e| anyhow::anyhow!("cannot connect to the database: {e}"))?;
    match command {
        Command::Serve { no_migrate } => {
            if !no_migrate {
                db::migrate(&db).await?;
            }
            let listener = tokio::net::TcpListener::bind(config.listen_addr)
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.listen_addr))?;
            let addr = listener.local_addr()?;
            tracing::info!(%addr, "listening; API reference at /docs");
            let storage = Storage::from_config(&config.media_dir)?;
            let state = AppState::new(config, db, Clock::system(), storage);
            citizen_feedback::serve(state, listener).await?;
        }
        Command::Migrate => {
            db::migrate(&db).await?;
            println!("migrations applied");
        }
        Command::CreateAdmin {
            email,
            phone,
            password: pw,
            full_name,
        } => {
            db::migrate(&db).await?;
            let phone = match phone {
                Some(p) => Some(
                    normalize_phone(&p)
                        .ok_or_else(|| anyhow::anyhow!("--phone: not a valid phone number"))?,
                ),
                None => None,
            };
            let email = email.map(|e| normalize_email(&e));
            let inputs: Vec<&str> = [phone.as_deref(), email.as_deref(), Some(full_name.as_str())]
                .into_iter()
                .flatten()
                .collect();
            password::check_policy(&pw, &inputs)
                .map_err(|m| anyhow::anyhow!("--password: {}", m.render(Locale::En)))?;
            let storage = Storage::from_config(&config.media_dir)?;
            let state = AppState::new(config, db, Clock::system(), storage);
            let user = service::create_user(
                &state.db,
                &state.passwords,
                &state.clock,
                NewUser {
                    phone,
                    email,
                    password: pw,
                    full_name,
                    role: Role::Admin,
                    unit_id: None,
                    locale: Locale::Vi,
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("cannot create the admin: {e}"))?;
            println!("admin created: {}", user.id);
        }
        Command::SeedDemo {
            reports,
            months,
            seed,
            chunk,
            drop_indexes_from,
        } => {
            db::migrate(&db).await?;
            let storage = Storage::from_config(&config.media_dir)?;
            let state = AppState::new(config, db, Clock::system(), storage);
            let started = std::time::Instant::now();
            let s = citizen_feedback::seed::seed(
                state.ctx(),
                &state.passwords,
                &citizen_feedback::seed::SeedOptions {
                    reports,
                    months,
                    seed,
                    chunk,
                    drop_indexes_from,
                },
            )
            .await?;
            if s.resumed > 0 {
                println!(
                    "an interrupted run of the same command had written {} reports: finished it",
                    s.resumed
                );
            }
            if s.indexes_rebuilt > 0 {
                println!(
                    "built {} secondary indexes again after the load",
                    s.indexes_rebuilt
                );
            }
            let t = s.timings;
            println!(
                "time: city and citizens {:.1}s, reports drawn {:.1}s (beside the writing), written {:.1}s, indexes {:.1}s",
                t.city.as_secs_f64(),
                t.draw.as_secs_f64(),
                t.write.as_secs_f64(),
                t.indexes.as_secs_f64()
            );
            println!(
                "seeded {} units, {} categories, {} staff, {} citizens, {} reports and {} events in {:.1}s",
                s.units,
                s.categories,
                s.staff,
                s.citizens,
                s.reports,
                s.events,
                started.elapsed().as_secs_f64()
            );
            println!(
                "every demo account's password: {}",
                citizen_feedback::seed::DEMO_PASSWORD
            );
            println!(
                "  admin@demo.hanoi.gov.vn (admin), dieuphoi@demo.hanoi.gov.vn (city coordinator),"
            );
            println!(
                "  dieuphoi.hoankiem@demo.hanoi.gov.vn (ward coordinator), canbo1.hoankiem@demo.hanoi.gov.vn (officer),"
            );
            println!("  citizens +84980000000, +84980000001, …");
        }
        Command::Openapi => {
            println!("{}", http::openapi().to_pretty_json()?);
        }
        Command::Housekeeping => {
            let storage = Storage::from_config(&config.media_dir)?;
            let keep = config.housekeeping.retention();
            let state = AppState::new(config, db, Clock::system(), storage);
            let swept =
                citizen_feedback::housekeeping::sweep(state.ctx(), &state.storage, &keep).await?;
            println!("{}", serde_json::to_string(&swept)?);
        }
        Command::Stats(cmd) => {
            use citizen_feedback::domain::{GroupBy, Month};
            use citizen_feedback::stats::{check, export, service};
            let tz = config.city_tz;
            let storage = Storage::from_config(&config.media_dir)?;
            let state = AppState::new(config, db, Clock::system(), storage);
            match cmd {
                StatsCommand::Check => {
                    let diffs = check::check(&state.db, tz)
                        .await
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                    if diffs.is_empty() {
                        println!("stats check: every figure agrees with the reports");
                    } else {
                        for d in &diffs {
                            eprintln!("{d:?}");
                        }
                        anyhow::bail!(
                            "stats check: {} difference(s) between the rollup and the reports",
                            diffs.len()
                        );
                    }
                }
                StatsCommand::Rebuild => {
                    let n = check::rebuild(&state.db, tz)
                        .await
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                    println!("stats rebuild: {n} rollup rows written");
                }
                StatsCommand::Close { month } => {
                    let m = Month::parse(&month)
                        .ok_or_else(|| anyhow::anyhow!("--month: expected YYYY-MM"))?;
                    service::close(state.ctx(), m, None)
                        .await
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                    println!("closed {month}");
                }
                StatsCommand::Export {
                    month,
                    format,
                    group_by,
                    english,
                } => {
                    let m = Month::parse(&month)
                        .ok_or_else(|| anyhow::anyhow!("--month: expected YYYY-MM"))?;
                    let group = GroupBy::parse(&group_by).unwrap_or_default();
                    let format = export::FileFormat::parse(&format).unwrap_or_default();
                    let locale = if english { Locale::En } else { Locale::Vi };
                    let (body, _) = citizen_feedback::i18n::scope(
                        locale,
                        service::month_figures(state.ctx(), None, m, group, false, locale),
                    )
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                    let bytes = export::render(&body, format, locale)?;
                    use std::io::Write as _;
                    std::io::stdout().write_all(&bytes)?;
                }
            }
        }
    }
    Ok(())
}
