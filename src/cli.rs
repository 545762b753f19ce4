//! The command line, declared with clap's derive API. Doc comments here are the
//! `--help` text. No logic lives here: `cmd` turns these into settings.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// harvest: crypto tax lots, Form 8949 and Schedule D, and tax-loss harvesting.
#[derive(Debug, Parser)]
#[command(name = "harvest", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands. Their examples name the tax year at hand as `{YEAR}`, which
/// [`command`] fills in; each example line fits an 80-column terminal, longer
/// ones continued with a backslash, so that they copy and paste.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Convert exchange exports into the normalized ledger CSV.
    ///
    /// Example: harvest import coinbase.csv kraken-ledgers.csv -o ledger.csv
    #[command(after_help = "Examples (a year-end workflow):
  harvest import coinbase.csv kraken-ledgers.csv -o ledger.csv
  harvest import kraken-trades.csv --prices prices.csv -o kraken.csv
  harvest import export.csv --format binance-us --account binance-us \\
      -o binance.csv")]
    Import(ImportArgs),
    /// Open lots (holdings) with basis, acquisition date and, with --prices,
    /// unrealized gain or loss.
    ///
    /// Example: harvest lots ledger.csv --as-of {YEAR}-12-31 --prices prices.csv
    #[command(after_help = "Examples (a year-end workflow):
  harvest lots ledger.csv
  harvest lots coinbase.csv kraken-ledgers.csv --as-of {YEAR}-12-31 \\
      --prices prices.csv
  harvest lots ledger.csv --format csv -o lots.csv")]
    Lots(LotsArgs),
    /// Every disposal of a tax year matched to its lots: the Form 8949 rows.
    ///
    /// Example: harvest gains ledger.csv --year {YEAR} --format csv -o 8949.csv
    #[command(after_help = "Examples (a year-end workflow):
  harvest gains ledger.csv --year {YEAR}
  harvest gains ledger.csv --year {YEAR} --format csv -o 8949-{YEAR}.csv
  harvest gains ledger.csv plan.csv --method specific \\
      --selections selections.csv --year {YEAR}")]
    Gains(GainsArgs),
    /// Form 8949 by part and box, Schedule D lines and next year's carryover.
    ///
    /// Example: harvest report ledger.csv --year {YEAR} --carryover-lt 1200
    #[command(after_help = "Examples (a year-end workflow):
  harvest report coinbase.csv kraken-ledgers.csv --year {YEAR}
  harvest report ledger.csv --year {YEAR} --format html -o report-{YEAR}.html
  harvest report ledger.csv --year {YEAR} --format csv -o 8949-{YEAR}.csv
  harvest report ledger.csv --year {YEAR} --format txf -o {YEAR}.txf
  harvest report ledger.csv --year {YEAR} --format json -o report-{YEAR}.json
  harvest report ledger.csv --year {NEXT} --carryover-from report-{YEAR}.json")]
    Report(ReportArgs),
    /// Ordinary income from digital assets received in a tax year (staking,
    /// mining, rewards, airdrops, interest, forks): each row at its fair value,
    /// the totals by category, asset and month, and the schedule each goes on.
    ///
    /// Example: harvest income ledger.csv --year {YEAR}
    #[command(after_help = "Examples (a year-end workflow):
  harvest income ledger.csv --year {YEAR}
  harvest income coinbase.csv kraken-ledgers.csv --year {YEAR} \\
      --1099misc coinbase=120.50 --1099misc kraken=14.00
  harvest income ledger.csv --year {YEAR} --format csv -o income-{YEAR}.csv
  harvest income ledger.csv --year {YEAR} --format json | jq .schedule_1_line_8v

Each row is income at its fair value in USD when received (its usd_value,
or --prices), and the basis of the lot it opens. The total goes on
Schedule 1 line 8v, or on Schedule C for the categories harvest.toml
lists as a business: income_as_business = [\"mining\"].")]
    Income(IncomeArgs),
    /// The audit trail of a tax year's Form 8949 rows: for each row and lot, the
    /// input file and line the lot was read from, its row id, and every
    /// transfer that carried its units to the account that sold them.
    ///
    /// Example: harvest audit ledger.csv --year {YEAR} --format csv -o audit.csv
    #[command(after_help = "Examples (a year-end workflow):
  harvest audit ledger.csv --year {YEAR}
  harvest audit coinbase.csv kraken-ledgers.csv --year {YEAR} --format csv \\
      -o audit-{YEAR}.csv
  harvest audit ledger.csv --year {YEAR} --format json

The CSV has one line per Form 8949 row and lot, starting with
disposal_id,lot_id,quantity,source_file,source_line,source_id.")]
    Audit(AuditArgs),
    /// Balances that tie out: for each account and asset, a year's opening
    /// quantity, acquired, disposed, moved in and out, fees, closing quantity,
    /// and the lots held there at the year's end with their basis.
    ///
    /// Example: harvest balances ledger.csv --year {YEAR}
    #[command(after_help = "Examples (a year-end workflow):
  harvest balances ledger.csv --year {YEAR}
  harvest balances ledger.csv --year {YEAR} --format csv -o balances-{YEAR}.csv
  harvest lots ledger.csv --as-of {YEAR}-12-31 --format csv -o holdings-{YEAR}.csv
      (the year-end holdings statement, lot by lot)")]
    Balances(BalancesArgs),
    /// Harvest candidates (open lots below their basis) and a plan that offsets
    /// this year's gains and uses the loss deduction, with the tax it saves.
    ///
    /// Example: harvest scan ledger.csv --prices prices.csv
    #[command(
        after_help = "Examples (a year-end workflow; the plan is for today unless --as-of):
  harvest scan ledger.csv --prices prices.csv
  harvest scan ledger.csv --prices prices.csv --format html -o scan.html
  harvest scan ledger.csv --prices prices.csv --ordinary-income 95000 \\
      --filing-status mfj
  harvest scan ledger.csv --prices prices.csv --as-of {YEAR}-12-15 \\
      --emit-ledger plan.csv --emit-selections selections.csv
  harvest scan ledger.csv --prices prices.csv --fee-rate 0.006 --spread 0.001
      (the plan net of the exchange's fee and the spread, sale and buy-back)
  harvest scan ledger.csv --prices prices.csv --format json -o plan.json
  harvest scan ledger.csv --prices prices.csv --shock -0.20 \\
      --compare plan.json   (prices 20% lower: what changes)"
    )]
    // Boxed: the largest arguments by far (clippy's large_enum_variant).
    Scan(Box<ScanArgs>),
    /// Fetch the USD prices the inputs need, once, from public sources; later
    /// runs read them from the cache, offline.
    ///
    /// The prices: each row or fee without a USD value, each amount of money
    /// other than USD, and the current price of every asset held at --as-of
    /// (default: now), written as the prices file --prices reads. Sources:
    /// Coinbase Exchange, then Binance's market-data host (prices in USDT,
    /// taken at 1 USD), ECB reference rates (Frankfurter) for EUR, GBP, ...,
    /// and CoinGecko only with an API key. Only asset symbols and times leave
    /// the machine, over HTTPS only: never quantities, accounts or files.
    ///
    /// Example: harvest prices ledger.csv -o prices.csv
    #[command(after_help = "Examples (a year-end workflow):
  harvest import coinbase.csv kraken-ledgers.csv -o ledger.csv
  harvest prices ledger.csv -o prices.csv
  harvest report ledger.csv --year {YEAR} --prices prices.csv
  harvest scan ledger.csv --prices prices.csv
  harvest prices ledger.csv --as-of {YEAR}-12-15 --granularity day \\
      -o prices.csv
  harvest prices ledger.csv --offline -o prices.csv   (the cache only)

What leaves the machine: asset symbols and times (BTC-USD, 2025-03-01),
over HTTPS; never quantities, accounts or files. A price is the mean of the
open and close of the candle (--granularity) that contains the time; a gap
looks back 24 candles, then takes the next coarser size. Answers are cached
in $XDG_CACHE_HOME/harvest (or ~/.cache/harvest; --cache DIR); current
prices for 10 minutes. HARVEST_COINBASE_URL, HARVEST_BINANCE_URL,
HARVEST_FX_URL and HARVEST_COINGECKO_URL override the providers' addresses
(plain HTTP only to a loopback address).")]
    Prices(PricesArgs),
    /// The Rev. Proc. 2024-28 allocation: the lots held on 2025-01-01 (pooled
    /// universally until then) given to the wallets that hold the units.
    ///
    /// Example: harvest allocation ledger.csv --format csv -o allocation-2025.csv
    #[command(after_help = "Examples (once, early in 2025; then keep the file):
  harvest allocation ledger.csv
  harvest allocation coinbase.csv ledger-nano.csv --format csv \\
      -o allocation-2025.csv
  harvest report ledger.csv --year {YEAR} --allocation allocation-2025.csv

The rule comes from harvest.toml:
  [transition]
  rule = \"oldest-first\"     # or lowest-basis-first, highest-basis-first
  wallets = [\"ledger-nano\", \"coinbase\"]   # optional; default: most units
  recorded = 2024-12-20      # when you wrote the rule in your books")]
    Allocation(AllocationArgs),
    /// Reconcile a broker's Form 1099-DA with our disposals: matched rows, rows
    /// only the broker has, rows only we have, the differences, and the Form
    /// 8949 box, codes and adjustment of each matched row.
    ///
    /// Example: harvest reconcile ledger.csv --1099da 1099da.csv --year {YEAR}
    #[command(after_help = "Examples (a year-end workflow):
  harvest reconcile ledger.csv --1099da coinbase-1099da.csv --year {YEAR}
  harvest reconcile ledger.csv --1099da coinbase=cb-1099da.csv \\
      --1099da kraken=kr-1099da.csv --year {YEAR}
  harvest reconcile ledger.csv --1099da 1099da.csv --year {YEAR} \\
      --format csv -o reconciliation-{YEAR}.csv
  harvest report ledger.csv --1099da 1099da.csv --year {YEAR}
      (the same routing in the report)

The 1099-DA CSV has a header; its columns (any order, any case) are account,
asset (1a), units (1c), date_sold (1e) and proceeds (1f), and optionally
broker, asset_name (1b), date_acquired (1d), basis (1g), wash_sale_disallowed
(1i), basis_reported (2), term (6), noncovered (9), checkbox and
transaction_id; see docs/1099DA.md.")]
    Reconcile(ReconcileArgs),
    /// Print the effective settings (flags over harvest.toml over defaults) and
    /// where each one comes from.
    ///
    /// Example: harvest config --method hifo
    #[command(after_help = "Examples:
  harvest config
  harvest config --config ~/taxes/harvest.toml --method hifo
  harvest config > harvest.toml      (the output is a valid harvest.toml)")]
    Config(ConfigArgs),
    /// Print a shell completion script for bash, zsh, fish or powershell.
    ///
    /// Example: harvest completions bash > harvest.bash
    #[command(after_help = "Install:
  bash:
    harvest completions bash \\
      > ~/.local/share/bash-completion/completions/harvest
  zsh (with fpath+=~/.zfunc before compinit in ~/.zshrc):
    harvest completions zsh > ~/.zfunc/_harvest
  fish:
    harvest completions fish > ~/.config/fish/completions/harvest.fish
  powershell:
    harvest completions powershell >> $PROFILE")]
    Completions(CompletionsArgs),
    /// Print the man page (roff), or write one page per command into a directory.
    ///
    /// Example: harvest man --dir ~/.local/share/man/man1
    #[command(after_help = "Install:
  harvest man --dir ~/.local/share/man/man1 && man harvest-report
  harvest man | man -l -")]
    Man(ManArgs),
}

/// The tax year examples are dated for: the year of four months ago, so that
/// from May to December it is this year (planning, year-end) and from January
/// to April last year (filing season). `SOURCE_DATE_EPOCH` fixes today.
pub fn example_year() -> i32 {
    use chrono::Datelike;
    let today = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .unwrap_or_else(chrono::Utc::now)
        .date_naive();
    today
        .checked_sub_months(chrono::Months::new(4))
        .unwrap_or(today)
        .year()
}

/// The command line, its examples dated for [`example_year`]. Help, man pages
/// and completions all come from it.
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    let year = example_year();
    let fill = |t: &clap::builder::StyledStr| {
        t.to_string()
            .replace("{YEAR}", &year.to_string())
            .replace("{NEXT}", &(year + 1).to_string())
    };
    Cli::command().mut_subcommands(|c| {
        let after = c.get_after_help().map(fill);
        let long = c.get_long_about().map(fill);
        let c = match after {
            Some(t) => c.after_help(t),
            None => c,
        };
        match long {
            Some(t) => c.long_about(t),
            None => c,
        }
    })
}

/// Parses the process's arguments with [`command`] (exiting with clap's message
/// and status on a usage error).
pub fn parse() -> Cli {
    use clap::FromArgMatches;
    let m = command().get_matches();
    Cli::from_arg_matches(&m).unwrap_or_else(|e| e.exit())
}

/// Lot-selection method (SPEC section 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MethodArg {
    Fifo,
    Lifo,
    Hifo,
    Specific,
}

/// Where lots are pooled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScopeArg {
    Wallet,
    Universal,
    Transition,
}

/// What a disposal larger than the holdings gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MissingBasisArg {
    Error,
    Zero,
}

/// Output form; each command offers the ones it writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Table,
    Csv,
    Json,
    /// Tax Exchange Format V042.
    Txf,
    /// TurboTax crypto gains CSV.
    Turbotax,
    /// TaxAct CSV.
    Taxact,
    /// One self-contained HTML page with tables and charts.
    Html,
    /// The forms on paper: Form 8949 as a statement, Schedule D, the carryover
    /// worksheet (US Letter).
    Pdf,
}

/// Filing status: mfs caps the deduction at 1,500, all others at 3,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FilingStatusArg {
    Single,
    Mfj,
    Mfs,
    Hoh,
    Qss,
}

/// Options shared by lots, gains, report and scan.
#[derive(Debug, Args)]
pub struct EngineArgs {
    /// Ledger CSVs or exchange exports; `-` reads standard input.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<String>,
    /// Lot-selection method [default: fifo, or `method` in harvest.toml]. From
    /// 2025 LIFO and HIFO apply only where a standing order identified the lots
    /// in time (see --late-identification).
    #[arg(long, value_enum)]
    pub method: Option<MethodArg>,
    /// With --method specific: CSV disposal_id,lot_id,quantity naming the lots each
    /// disposal sells.
    #[arg(long, value_name = "FILE")]
    pub selections: Option<PathBuf>,
    /// Pool lots universally through 2024 and per account from 2025 after a
    /// Rev. Proc. 2024-28 allocation (transition), per account throughout
    /// (wallet), or per asset throughout (universal) [default: transition].
    #[arg(long, value_enum)]
    pub scope: Option<ScopeArg>,
    /// With --scope transition: reuse this frozen allocation (the output of
    /// `harvest allocation`) instead of the rule in harvest.toml.
    #[arg(long, value_name = "FILE")]
    pub allocation: Option<PathBuf>,
    /// From 2025, take lots FIFO where --method asks for LIFO or HIFO but no
    /// standing order or selection identified them by the time of the sale: the
    /// law's default, and harvest's (kept for scripts).
    #[arg(long)]
    pub strict_identification: bool,
    /// What-if: let --method lifo or hifo pick the lots of 2025 and later
    /// disposals that nothing identified in time. Not a filing position: the
    /// outputs say so, and tax-software exports are refused.
    #[arg(long, conflicts_with = "strict_identification")]
    pub late_identification: bool,
    /// IANA time zone whose calendar dates decide tax year and holding period
    /// [default: UTC].
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    /// A disposal larger than the holdings: an error, or a zero-basis lot with a
    /// warning [default: error].
    #[arg(long, value_enum)]
    pub missing_basis: Option<MissingBasisArg>,
    /// USD prices, CSV time,asset,price or asset,price: values rows that have none.
    #[arg(long, value_name = "FILE")]
    pub prices: Option<PathBuf>,
    /// Simulate a wash-sale rule: a loss sale with a purchase of the same asset
    /// this many days before or after is disallowed (code W), the loss moving into
    /// the replacement's basis. 0, the default, is current law for digital assets.
    #[arg(long, value_name = "DAYS")]
    pub wash_window: Option<u32>,
    /// Write to FILE (atomically) instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Settings file (default: harvest.toml in the working directory, if present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Print no warnings.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// A `--format` parser that offers only the formats a command writes.
fn formats(
    allowed: &'static [FormatArg],
) -> impl clap::builder::TypedValueParser<Value = FormatArg> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(allowed.iter().filter_map(|f| f.to_possible_value()))
        .map(|s: String| FormatArg::from_str(&s, true).unwrap_or(FormatArg::Table))
}

use FormatArg::{Csv, Html, Json, Pdf, Table, Taxact, Turbotax, Txf};

/// `harvest lots`.
#[derive(Debug, Args)]
pub struct LotsArgs {
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Output form.
    #[arg(long, default_value = "table", value_parser = formats(&[Table, Csv, Json]))]
    pub format: FormatArg,
    /// Show lots held at the end of this date (default: after the last row).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub as_of: Option<chrono::NaiveDate>,
}

/// `harvest gains`.
#[derive(Debug, Args)]
pub struct GainsArgs {
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Output form (tax-software files and HTML come from `harvest report`).
    #[arg(long, default_value = "table", value_parser = formats(&[Table, Csv, Json]))]
    pub format: FormatArg,
    /// Tax year (calendar year in --tz).
    #[arg(long, value_parser = tax_year)]
    pub year: i32,
}

/// The tax picture shared by report and scan.
#[derive(Debug, Args)]
pub struct TaxArgs {
    /// Filing status [default: single].
    #[arg(long, value_enum)]
    pub filing_status: Option<FilingStatusArg>,
    /// Short-term capital loss carryover from last year, as a positive amount of
    /// loss in dollars (Schedule D line 6).
    #[arg(long, value_name = "DOLLARS", allow_hyphen_values = true, value_parser = carryover)]
    pub carryover_st: Option<rust_decimal::Decimal>,
    /// Long-term capital loss carryover from last year, as a positive amount of
    /// loss in dollars (Schedule D line 14).
    #[arg(long, value_name = "DOLLARS", allow_hyphen_values = true, value_parser = carryover)]
    pub carryover_lt: Option<rust_decimal::Decimal>,
    /// Last year's `harvest report --format json`: takes its carryover_next_year.
    /// It must be the report of the year before (see --any-carryover-year).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["carryover_st", "carryover_lt"])]
    pub carryover_from: Option<PathBuf>,
    /// Take --carryover-from's carryover even when that report is not of the
    /// year before.
    #[arg(long, requires = "carryover_from")]
    pub any_carryover_year: bool,
}

/// Form 1040 taxable income, the report's `--taxable-income`.
#[derive(Debug, Args)]
pub struct TaxableIncomeArg {
    /// Form 1040 taxable income (line 15; may be negative), which is line 1 of
    /// the Capital Loss Carryover Worksheet: the carryover then follows that
    /// worksheet exactly.
    #[arg(long, value_name = "DOLLARS", allow_hyphen_values = true)]
    pub taxable_income: Option<rust_decimal::Decimal>,
}

/// A tax year harvest can mean: 2009 (the first bitcoin) to 2100.
fn tax_year(s: &str) -> Result<i32, String> {
    match s.trim().parse::<i32>() {
        Ok(y) if (2009..=2100).contains(&y) => Ok(y),
        Ok(_) => Err("a tax year from 2009 to 2100, in four digits (e.g. 2025)".into()),
        Err(_) => Err("a tax year in four digits (e.g. 2025)".into()),
    }
}

fn decimal(s: &str) -> Result<rust_decimal::Decimal, String> {
    let t = s.trim();
    t.parse::<rust_decimal::Decimal>()
        .or_else(|_| rust_decimal::Decimal::from_scientific(t))
        .map_err(|_| "a number in dollars, e.g. 1500 or 1500.25".into())
}

/// Dollars that cannot be negative.
fn dollars(s: &str) -> Result<rust_decimal::Decimal, String> {
    let d = decimal(s)?;
    if d.is_sign_negative() && !d.is_zero() {
        return Err("cannot be negative".into());
    }
    Ok(d)
}

/// A carryover: the loss carried in, as a positive amount.
fn carryover(s: &str) -> Result<rust_decimal::Decimal, String> {
    dollars(s).map_err(|e| {
        if e == "cannot be negative" {
            format!(
                "a carryover is entered as a positive amount of loss (e.g. {})",
                s.trim().trim_start_matches('-')
            )
        } else {
            e
        }
    })
}

/// A marginal rate: a fraction from 0 to 1 (0.24, not 24).
pub fn rate(s: &str) -> Result<rust_decimal::Decimal, String> {
    let d = decimal(s).map_err(|_| "a rate as a fraction, e.g. 0.24".to_string())?;
    check_rate(d)
}

/// A cost of a trade (a fee rate, a spread): a fraction from 0 to below 1
/// (0.006, not 0.6 for 0.6%).
fn cost_rate(s: &str) -> Result<rust_decimal::Decimal, String> {
    let d = decimal(s).map_err(|_| "a fraction of the trade's value, e.g. 0.006".to_string())?;
    if d < rust_decimal::Decimal::ZERO || d >= rust_decimal::Decimal::ONE {
        let hint = percent_hint(
            d,
            d >= rust_decimal::Decimal::ONE && d < rust_decimal::Decimal::ONE_HUNDRED,
        );
        return Err(format!(
            "a fraction of the trade's value from 0 to below 1, e.g. 0.006 for 0.6%{hint}"
        ));
    }
    Ok(d)
}

/// A price shock: a fraction above -1 (-0.20 is prices 20% lower), at most
/// 100 (prices 101 times as high); a percent (-20) is refused with the
/// fraction it probably means.
pub fn shock(s: &str) -> Result<rust_decimal::Decimal, String> {
    use rust_decimal::Decimal;
    let d = decimal(s)
        .map_err(|_| "a price shock as a fraction, e.g. -0.20 for prices 20% lower".to_string())?;
    if d <= -Decimal::ONE {
        let hint = percent_hint(d, d >= -Decimal::ONE_HUNDRED && d < -Decimal::ONE);
        return Err(format!(
            "a price shock is a fraction above -1 (-1 would make every price zero), e.g. -0.20 for prices 20% lower{hint}"
        ));
    }
    if d > Decimal::ONE_HUNDRED {
        return Err("a price shock is at most 100 (prices 101 times as high)".into());
    }
    Ok(d)
}

/// A rate is a fraction from 0 to 1; a percent (24) is refused with the fraction
/// it probably means.
pub fn check_rate(d: rust_decimal::Decimal) -> Result<rust_decimal::Decimal, String> {
    if d < rust_decimal::Decimal::ZERO || d > rust_decimal::Decimal::ONE {
        let hint = percent_hint(
            d,
            d > rust_decimal::Decimal::ONE && d <= rust_decimal::Decimal::ONE_HUNDRED,
        );
        return Err(format!("a rate is a fraction from 0 to 1{hint}"));
    }
    Ok(d)
}

/// When `likely` (the value looks like a percent), ` (24% is 0.24)`: the
/// fraction a value refused as a fraction probably means; else nothing.
fn percent_hint(d: rust_decimal::Decimal, likely: bool) -> String {
    if likely {
        format!(
            " ({}% is {})",
            d.normalize(),
            (d / rust_decimal::Decimal::ONE_HUNDRED).normalize()
        )
    } else {
        String::new()
    }
}

/// `harvest report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Output form: a table, CSV (the Form 8949 rows), JSON, one HTML page, the
    /// forms as PDF (with -o), or a file for tax software (txf, turbotax, taxact).
    #[arg(long, default_value = "table", value_parser = formats(&[Table, Csv, Json, Html, Pdf, Txf, Turbotax, Taxact]))]
    pub format: FormatArg,
    /// Tax year (calendar year in --tz).
    #[arg(long, value_parser = tax_year)]
    pub year: i32,
    #[command(flatten)]
    pub tax: TaxArgs,
    #[command(flatten)]
    pub income: TaxableIncomeArg,
    /// A broker's Form 1099-DA as CSV (see harvest reconcile): routes the rows it
    /// matches to boxes G/H/J/K with codes B, E, T. ACCOUNT=FILE names the
    /// account of a file without an account column. May be given several times.
    #[arg(long = "1099da", value_name = "[ACCOUNT=]FILE")]
    pub form_1099da: Vec<String>,
    /// Exception 1 of the Form 8949 instructions: rows a given --1099da shows
    /// with basis reported (G/J) that need no adjustment go straight to
    /// Schedule D lines 1a/8a, not on Form 8949.
    #[arg(long = "exception-1", requires = "form_1099da")]
    pub exception_1: bool,
    /// Exception 2: one Form 8949 row per box and account (code M, "see
    /// attached statement"), the rows as the attached statement.
    #[arg(long)]
    pub summary: bool,
}

/// `harvest audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Output form.
    #[arg(long, default_value = "table", value_parser = formats(&[Table, Csv, Json]))]
    pub format: FormatArg,
    /// Tax year (calendar year in --tz).
    #[arg(long, value_parser = tax_year)]
    pub year: i32,
    /// Also write the gaps in the basis (listed in the table and JSON) as CSV
    /// to this file.
    #[arg(long, value_name = "FILE")]
    pub gaps: Option<std::path::PathBuf>,
}

/// `harvest balances`.
#[derive(Debug, Args)]
pub struct BalancesArgs {
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Output form.
    #[arg(long, default_value = "table", value_parser = formats(&[Table, Csv, Json]))]
    pub format: FormatArg,
    /// Tax year (calendar year in --tz).
    #[arg(long, value_parser = tax_year)]
    pub year: i32,
}

/// `harvest income`.
#[derive(Debug, Args)]
pub struct IncomeArgs {
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Output form.
    #[arg(long, default_value = "table", value_parser = formats(&[Table, Csv, Json, Html]))]
    pub format: FormatArg,
    /// Tax year (calendar year in --tz).
    #[arg(long, value_parser = tax_year)]
    pub year: i32,
    /// An exchange's Form 1099-MISC for the year, ACCOUNT=DOLLARS (the income
    /// it reports, box 3): compared with that account's income in the ledger.
    /// May be given once per account.
    #[arg(long = "1099misc", value_name = "ACCOUNT=DOLLARS", value_parser = form_1099misc)]
    pub form_1099misc: Vec<(String, rust_decimal::Decimal)>,
}

/// `ACCOUNT=DOLLARS` of `--1099misc`.
fn form_1099misc(s: &str) -> Result<(String, rust_decimal::Decimal), String> {
    let Some((account, amount)) = s.rsplit_once('=') else {
        return Err("ACCOUNT=DOLLARS, e.g. coinbase=120.50".into());
    };
    let account = account.trim();
    if account.is_empty() {
        return Err("the account is empty: ACCOUNT=DOLLARS, e.g. coinbase=120.50".into());
    }
    let amount = dollars(
        amount
            .trim()
            .trim_start_matches('$')
            .replace(',', "")
            .as_str(),
    )?;
    Ok((account.to_string(), amount))
}

/// `harvest reconcile`.
#[derive(Debug, Args)]
pub struct ReconcileArgs {
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Output form (the forms with the routed rows come from `harvest report
    /// --1099da`).
    #[arg(long, default_value = "table", value_parser = formats(&[Table, Csv, Json]))]
    pub format: FormatArg,
    /// Tax year (calendar year in --tz).
    #[arg(long, value_parser = tax_year)]
    pub year: i32,
    /// A broker's Form 1099-DA as CSV; ACCOUNT=FILE names the account of a file
    /// without an account column. May be given several times.
    #[arg(long = "1099da", value_name = "[ACCOUNT=]FILE", required = true)]
    pub form_1099da: Vec<String>,
}

/// `harvest allocation`.
#[derive(Debug, Args)]
pub struct AllocationArgs {
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Output form (csv is what --allocation reads back).
    #[arg(long, default_value = "table", value_parser = formats(&[Table, Csv, Json]))]
    pub format: FormatArg,
    /// The day of the allocation: lots are universal before it, per wallet from it.
    #[arg(long, value_name = "YYYY-MM-DD", default_value = "2025-01-01")]
    pub as_of: chrono::NaiveDate,
}

/// `harvest scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Output form.
    #[arg(long, default_value = "table", value_parser = formats(&[Table, Csv, Json, Html]))]
    pub format: FormatArg,
    #[command(flatten)]
    pub tax: TaxArgs,
    /// The date of the planned sales (default: today in --tz); the tax year is its year.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub as_of: Option<chrono::NaiveDate>,
    /// Marginal rate on short-term gains and ordinary income, for the tax saved,
    /// as a fraction from 0 to 1 [default: 0.24].
    #[arg(long, value_name = "RATE", allow_hyphen_values = true, value_parser = rate)]
    pub st_rate: Option<rust_decimal::Decimal>,
    /// Marginal rate on long-term gains, for the tax saved, as a fraction from 0
    /// to 1 [default: 0.15]; with --ordinary-income, the rate a later sale of a
    /// lot stepped up at 0% is expected to pay.
    #[arg(long, value_name = "RATE", allow_hyphen_values = true, value_parser = rate)]
    pub lt_rate: Option<rust_decimal::Decimal>,
    /// Taxable income other than this year's capital gains and losses (may be
    /// negative): Form 1040 line 15 as it would be without Schedule D line 16 or
    /// 21. With it, the tax saved follows the brackets and the Qualified Dividends
    /// and Capital Gain Tax Worksheet, and the carryover the Capital Loss
    /// Carryover Worksheet.
    #[arg(long, value_name = "DOLLARS", allow_hyphen_values = true)]
    pub ordinary_income: Option<rust_decimal::Decimal>,
    /// Refused: scan takes --ordinary-income (report's --taxable-income is after
    /// the gains).
    #[arg(long, hide = true, allow_hyphen_values = true, value_name = "DOLLARS")]
    pub taxable_income: Option<String>,
    /// Modified AGI for the 3.8% net investment income tax, when it differs from
    /// ordinary income plus the capital result (with --ordinary-income).
    #[arg(long, value_name = "DOLLARS", allow_hyphen_values = true, value_parser = dollars)]
    pub magi: Option<rust_decimal::Decimal>,
    /// Leave out candidates whose loss is smaller than this many dollars.
    #[arg(long, value_name = "DOLLARS", default_value = "10.00", allow_hyphen_values = true, value_parser = dollars)]
    pub min_loss: rust_decimal::Decimal,
    /// Harvest this much loss instead of "all gains plus the deduction limit".
    #[arg(long, value_name = "DOLLARS", allow_hyphen_values = true, value_parser = dollars)]
    pub target: Option<rust_decimal::Decimal>,
    /// The rate a loss carried to next year is expected to save then (default:
    /// this year's marginal rate on ordinary income, as --st-rate or the
    /// brackets of --ordinary-income say).
    #[arg(long, value_name = "RATE", allow_hyphen_values = true, value_parser = rate)]
    pub future_rate: Option<rust_decimal::Decimal>,
    /// The exchange's fee on each planned sale and buy-back, as a fraction of
    /// the trade's value (0.006 is 0.6%), for every account: wins over
    /// harvest.toml's fee_rate under [accounts.NAME] [default: 0].
    #[arg(long, value_name = "RATE", allow_hyphen_values = true, value_parser = cost_rate)]
    pub fee_rate: Option<rust_decimal::Decimal>,
    /// The fraction of the price lost to the bid/ask spread on each trade: a
    /// sale fills at price x (1 - RATE), a buy-back at price x (1 + RATE)
    /// [default: 0].
    #[arg(long, value_name = "RATE", allow_hyphen_values = true, value_parser = cost_rate)]
    pub spread: Option<rust_decimal::Decimal>,
    /// Show this many candidates (the largest losses) in the table and the HTML
    /// page; CSV and JSON list every one.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub top: usize,
    /// Show every candidate in the table and the HTML page.
    #[arg(long, conflicts_with = "top")]
    pub all: bool,
    /// Write the plan's lot selections (disposal_id,lot_id,quantity) to FILE.
    #[arg(long, value_name = "FILE")]
    pub emit_selections: Option<PathBuf>,
    /// Write the plan's sales as ledger rows at the as-of prices to FILE.
    #[arg(long, value_name = "FILE")]
    pub emit_ledger: Option<PathBuf>,
    /// Do not propose long-term gains to fill the 0% band (proposed by default
    /// with --ordinary-income: sold and bought back, the basis steps up at no
    /// federal tax).
    #[arg(long)]
    pub no_gains: bool,
    /// A scenario: every as-of price multiplied by 1 + R before the candidates
    /// are found (-0.20: prices 20% lower). R is a fraction above -1, at most
    /// 100; the ledger's own past values are unchanged.
    #[arg(long, value_name = "R", allow_hyphen_values = true, value_parser = shock)]
    pub shock: Option<rust_decimal::Decimal>,
    /// After the scan, print what changed against a saved `scan --format
    /// json` (OLD.json): the tax, the loss, Schedule D, the sales and the
    /// inputs that differ (table, json or html).
    #[arg(long, value_name = "OLD.json")]
    pub compare: Option<PathBuf>,
}

/// `harvest import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Exchange exports (or ledgers); `-` reads standard input.
    #[arg(required = true, value_name = "FILE")]
    pub inputs: Vec<String>,
    /// Force the input format instead of detecting it from the header.
    #[arg(long, value_name = "NAME")]
    pub format: Option<String>,
    /// Account name for the rows (default: the exchange's name).
    #[arg(long, value_name = "NAME")]
    pub account: Option<String>,
    /// USD prices for rows the export does not value (CSV time,asset,price).
    #[arg(long, value_name = "FILE")]
    pub prices: Option<PathBuf>,
    /// IANA time zone for exports whose times carry no zone.
    #[arg(long, value_name = "ZONE", default_value = "UTC")]
    pub tz: String,
    /// Write to FILE (atomically) instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Settings file for `[import.accounts]` (default: harvest.toml in the
    /// working directory, if present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The chain of Etherscan-family downloads whose header does not tell it
    /// (`(ETH)`: ethereum, arbitrum, optimism or base; default ethereum).
    #[arg(long, value_name = "NAME")]
    pub chain: Option<String>,
    /// The address the Etherscan-family downloads are of (default: the one
    /// in every row).
    #[arg(long, value_name = "0x...")]
    pub address: Option<String>,
}

/// Candle size for `harvest prices`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GranularityArg {
    Minute,
    Hour,
    Day,
}

/// A price source for crypto.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SourceArg {
    Coinbase,
    Binance,
    Coingecko,
}

/// `harvest prices`.
#[derive(Debug, Args)]
pub struct PricesArgs {
    /// Ledger CSVs or exchange exports; `-` reads standard input.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<String>,
    /// Write the prices file to FILE (atomically) instead of standard output.
    /// When FILE exists, its rows are kept (a `manual` row wins over any
    /// source) and only what they lack is fetched.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also price every asset held at the end of this date, for lots and scan
    /// [default: now].
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub as_of: Option<chrono::NaiveDate>,
    /// The candle whose open and close give a time's price.
    #[arg(long, value_enum, default_value = "hour")]
    pub granularity: GranularityArg,
    /// Sources for crypto, in order (repeat or separate with commas)
    /// [default: coinbase,binance, or price_sources in harvest.toml; then
    /// coingecko when an API key is given].
    #[arg(
        long = "source",
        value_enum,
        value_delimiter = ',',
        value_name = "NAME"
    )]
    pub sources: Vec<SourceArg>,
    /// The cache of answers [default: $XDG_CACHE_HOME/harvest, else
    /// ~/.cache/harvest].
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// Use the cache only, without any request: what it lacks is named, and
    /// nothing is written.
    #[arg(long)]
    pub offline: bool,
    /// IANA time zone of dates (--as-of, dates in the inputs) [default: UTC].
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    /// Settings file (default: harvest.toml in the working directory, if present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// No notes and no progress bar on stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// `harvest config`: the engine and tax flags, all optional, to show how they
/// combine with harvest.toml.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Lot-selection method.
    #[arg(long, value_enum)]
    pub method: Option<MethodArg>,
    /// Pool lots per account or per asset.
    #[arg(long, value_enum)]
    pub scope: Option<ScopeArg>,
    /// IANA time zone.
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    /// A disposal larger than the holdings: an error, or a zero-basis lot.
    #[arg(long, value_enum)]
    pub missing_basis: Option<MissingBasisArg>,
    /// USD prices file.
    #[arg(long, value_name = "FILE")]
    pub prices: Option<PathBuf>,
    /// Simulated wash-sale window in days.
    #[arg(long, value_name = "DAYS")]
    pub wash_window: Option<u32>,
    /// Use FIFO where no standing order or selection identified the lots in time
    /// (the default).
    #[arg(long)]
    pub strict_identification: bool,
    /// What-if: LIFO or HIFO where nothing identified the lots in time.
    #[arg(long, conflicts_with = "strict_identification")]
    pub late_identification: bool,
    #[command(flatten)]
    pub tax: TaxArgs,
    #[command(flatten)]
    pub income: TaxableIncomeArg,
    /// scan: taxable income other than this year's capital gains and losses.
    #[arg(long, value_name = "DOLLARS", allow_hyphen_values = true)]
    pub ordinary_income: Option<rust_decimal::Decimal>,
    /// Marginal rate on short-term gains (scan), a fraction from 0 to 1.
    #[arg(long, value_name = "RATE", allow_hyphen_values = true, value_parser = rate)]
    pub st_rate: Option<rust_decimal::Decimal>,
    /// Marginal rate on long-term gains (scan), a fraction from 0 to 1.
    #[arg(long, value_name = "RATE", allow_hyphen_values = true, value_parser = rate)]
    pub lt_rate: Option<rust_decimal::Decimal>,
    /// Settings file (default: harvest.toml in the working directory, if present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// A shell for `harvest completions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShellArg {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

/// `harvest completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: ShellArg,
}

/// `harvest man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write harvest.1 and harvest-COMMAND.1 for every command into DIR instead of
    /// printing harvest.1.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 14 item 17: every example in `--help` fits an 80-column terminal
    /// (longer ones continue with a backslash, so a copy and paste runs as
    /// shown) and parses as the command line it claims to be.
    #[test]
    fn help_examples_fit_and_parse() {
        let cmd = command();
        let mut checked = 0;
        for sub in cmd.get_subcommands() {
            let text = sub
                .get_after_help()
                .map(|t| t.to_string())
                .unwrap_or_default();
            assert!(!text.contains("{YEAR}"), "{text}");
            for line in text.lines() {
                assert!(line.len() <= 78, "{}: {line:?} is too wide", sub.get_name());
            }
            let joined = text.replace(" \\\n", " ");
            for line in joined.lines().map(str::trim) {
                if !line.starts_with("harvest ") {
                    continue;
                }
                let end = [" > ", " >> ", " && ", " | ", "  ("]
                    .iter()
                    .filter_map(|sep| line.find(sep))
                    .min()
                    .unwrap_or(line.len());
                let args: Vec<&str> = line[..end].split_whitespace().collect();
                command()
                    .try_get_matches_from(&args)
                    .unwrap_or_else(|e| panic!("{line}: {e}"));
                checked += 1;
            }
        }
        assert!(checked >= 25, "{checked}");
    }
}
