//! Using harvest: `harvest config`, harvest.toml's st_rate/lt_rate and display
//! names, --help examples, shell completions, the man page, colors and the
//! progress bar (the last two on a pseudo-terminal made by script(1)).

use std::path::Path;
use std::process::{Command as Process, Output};

use assert_cmd::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn harvest_in(dir: &Path, args: &[&str]) -> Output {
    Command::cargo_bin("harvest")
        .unwrap()
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .args(args)
        .output()
        .unwrap()
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn line_of<'a>(text: &'a str, key: &str) -> &'a str {
    text.lines()
        .find(|l| l.starts_with(&format!("{key} =")) || l.starts_with(&format!("# {key} =")))
        .unwrap_or_else(|| panic!("no {key} in\n{text}"))
}

#[test]
fn config_shows_each_setting_and_its_source() {
    let dir = tempfile::tempdir().unwrap();
    let out = ok(&harvest_in(dir.path(), &["config"]));
    assert!(out.contains("harvest.toml, not found"), "{out}");
    assert!(
        line_of(&out, "method").contains("\"fifo\"")
            && line_of(&out, "method").ends_with("# default")
    );
    assert!(line_of(&out, "st_rate").starts_with("st_rate = 0.24"));
    assert!(line_of(&out, "prices").ends_with("# not set"));

    std::fs::write(
        dir.path().join("harvest.toml"),
        "method = \"hifo\"\ntz = \"America/New_York\"\nst_rate = 0.32\ncarryover_lt = 1200\n\
         [accounts.coinbase]\nbox_short = \"H\"\ndisplay_name = \"Coinbase (joint)\"\n",
    )
    .unwrap();
    let out = ok(&harvest_in(
        dir.path(),
        &["config", "--tz", "UTC", "--filing-status", "mfj"],
    ));
    assert!(line_of(&out, "method").ends_with("# harvest.toml"), "{out}");
    assert!(line_of(&out, "tz").starts_with("tz = \"UTC\""));
    assert!(line_of(&out, "tz").ends_with("# flag --tz"));
    assert!(line_of(&out, "filing_status").ends_with("# flag --filing-status"));
    assert!(line_of(&out, "st_rate").starts_with("st_rate = 0.32"));
    assert!(line_of(&out, "carryover_lt").starts_with("carryover_lt = 1200"));
    assert!(out.contains("[accounts.coinbase]"));
    assert!(out.contains("display_name = \"Coinbase (joint)\""));

    // The output is itself a harvest.toml that gives the same settings.
    std::fs::write(dir.path().join("again.toml"), &out).unwrap();
    let again = ok(&harvest_in(
        dir.path(),
        &["config", "--config", "again.toml"],
    ));
    for key in ["method", "tz", "filing_status", "st_rate", "carryover_lt"] {
        let a = line_of(&out, key).split('#').next().unwrap().trim();
        let b = line_of(&again, key).split('#').next().unwrap().trim();
        assert_eq!(a, b);
    }
}

#[test]
fn unknown_keys_and_bad_values_are_errors_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("harvest.toml"), "st_rat = 0.3\n").unwrap();
    let o = harvest_in(dir.path(), &["config"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("st_rat") && err.contains("harvest.toml"),
        "{err}"
    );
    std::fs::write(dir.path().join("harvest.toml"), "tz = \"Mars/Olympus\"\n").unwrap();
    let o = harvest_in(dir.path(), &["config"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("Mars/Olympus"));
    let o = harvest_in(dir.path(), &["config", "--config", "missing.toml"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing.toml"));
}

fn walkthrough(dir: &Path) {
    for f in ["coinbase.csv", "kraken-ledgers.csv", "prices-dec15.csv"] {
        std::fs::copy(
            Path::new(ROOT).join("fixtures/walkthrough").join(f),
            dir.join(f),
        )
        .unwrap();
    }
}

#[test]
fn scan_rates_come_from_harvest_toml_and_flags_win() {
    let dir = tempfile::tempdir().unwrap();
    walkthrough(dir.path());
    let scan = |extra: &[&str]| {
        let mut args = vec![
            "scan",
            "coinbase.csv",
            "kraken-ledgers.csv",
            "--prices",
            "prices-dec15.csv",
            "--as-of",
            "2025-12-15",
            "--format",
            "json",
            "-q",
        ];
        args.extend(extra);
        ok(&harvest_in(dir.path(), &args))
    };
    assert!(scan(&[]).contains("0.24 on short-term"));
    std::fs::write(
        dir.path().join("harvest.toml"),
        "st_rate = 0.35\nlt_rate = 0.2\n",
    )
    .unwrap();
    let out = scan(&[]);
    assert!(
        out.contains("0.35 on short-term") && out.contains("0.2 on long-term"),
        "{out}"
    );
    let out = scan(&["--st-rate", "0.1"]);
    assert!(out.contains("0.1 on short-term") && out.contains("0.2 on long-term"));
}

#[test]
fn display_names_are_used_in_tables_and_html_but_not_in_data_formats() {
    let dir = tempfile::tempdir().unwrap();
    walkthrough(dir.path());
    std::fs::write(
        dir.path().join("harvest.toml"),
        "[accounts.coinbase]\ndisplay_name = \"Coinbase <joint>\"\n",
    )
    .unwrap();
    let run = |format: &str| {
        ok(&harvest_in(
            dir.path(),
            &[
                "report",
                "coinbase.csv",
                "kraken-ledgers.csv",
                "--year",
                "2025",
                "--format",
                format,
                "-q",
            ],
        ))
    };
    assert!(run("table").contains("Coinbase <joint>"));
    assert!(run("html").contains("Coinbase &lt;joint&gt;"));
    let csv = run("csv");
    assert!(
        !csv.contains("joint") && csv.contains(",coinbase,"),
        "{csv}"
    );
    assert!(!run("json").contains("joint"));
}

#[test]
fn every_command_has_help_with_examples() {
    let dir = tempfile::tempdir().unwrap();
    for cmd in [
        "import",
        "lots",
        "gains",
        "report",
        "scan",
        "config",
        "completions",
        "man",
    ] {
        let out = ok(&harvest_in(dir.path(), &[cmd, "--help"]));
        assert!(
            out.contains(&format!("harvest {cmd} ")),
            "{cmd} --help has no example:\n{out}"
        );
    }
    let out = ok(&harvest_in(dir.path(), &["--help"]));
    for cmd in ["config", "completions", "man"] {
        assert!(out.contains(cmd));
    }
}

#[test]
fn completions_for_every_shell() {
    let dir = tempfile::tempdir().unwrap();
    for (shell, marker) in [
        ("bash", "complete -F _harvest"),
        ("zsh", "#compdef harvest"),
        ("fish", "complete -c harvest"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = ok(&harvest_in(dir.path(), &["completions", shell]));
        assert!(out.contains(marker), "{shell}");
        assert!(
            out.contains("report") && out.contains("carryover-from"),
            "{shell}"
        );
    }
    // Installed as the README says, bash loads it and completes the commands.
    let script = ok(&harvest_in(dir.path(), &["completions", "bash"]));
    let file = dir.path().join("harvest.bash");
    std::fs::write(&file, script).unwrap();
    let o = Process::new("bash")
        .arg("-c")
        .arg(format!(
            "source {}; complete -p harvest && COMP_WORDS=(harvest rep); COMP_CWORD=1; COMP_LINE='harvest rep'; COMP_POINT=11; _harvest harvest rep harvest && printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            file.display()
        ))
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.contains("report"), "{out}");
    let o = Process::new("bash")
        .arg("-c")
        .arg(format!(
            "source {}; COMP_WORDS=(harvest report --form); COMP_CWORD=2; COMP_LINE='harvest report --form'; COMP_POINT=22; _harvest harvest --form report && printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            file.display()
        ))
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("--format"), "{out}");
}

#[test]
fn man_pages() {
    let dir = tempfile::tempdir().unwrap();
    let page = ok(&harvest_in(dir.path(), &["man"]));
    assert!(
        page.starts_with(".ie") || page.contains(".TH harvest 1"),
        "{page}"
    );
    assert!(page.contains(".TH harvest 1"));
    assert!(page.contains(".SH NAME") && page.contains(".SH SYNOPSIS"));
    assert!(page.contains("harvest\\-report"));

    let mandir = dir.path().join("man/man1");
    let o = harvest_in(dir.path(), &["man", "--dir", mandir.to_str().unwrap()]);
    ok(&o);
    for name in [
        "harvest.1",
        "harvest-import.1",
        "harvest-lots.1",
        "harvest-gains.1",
        "harvest-report.1",
        "harvest-scan.1",
        "harvest-config.1",
        "harvest-completions.1",
        "harvest-man.1",
    ] {
        let text = std::fs::read_to_string(mandir.join(name)).unwrap();
        assert!(text.contains(".TH"), "{name}");
    }
    let report = std::fs::read_to_string(mandir.join("harvest-report.1")).unwrap();
    assert!(report.contains("carryover\\-from") && report.contains("html"));
    // man(1) reads what was installed, when it is there.
    if Path::new("/usr/bin/man").exists() {
        let o = Process::new("man")
            .env("MANPATH", dir.path().join("man"))
            .env("MANPAGER", "cat")
            .env("PAGER", "cat")
            .args(["harvest-report"])
            .output()
            .unwrap();
        assert!(
            String::from_utf8_lossy(&o.stdout).contains("carryover"),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    } else {
        eprintln!("man(1) not installed: the page was checked as text only");
    }
}

/// Runs a shell command line on a pseudo-terminal (script(1)), returning what the
/// terminal showed, or None when script is not available.
fn on_terminal(dir: &Path, cmd: &str, envs: &[(&str, &str)]) -> Option<String> {
    if !Path::new("/usr/bin/script").exists() {
        eprintln!("skipped: script(1) is not installed");
        return None;
    }
    let bin = assert_cmd::cargo::cargo_bin("harvest");
    let mut p = Process::new("script");
    p.current_dir(dir).env_remove("NO_COLOR").args([
        "-qec",
        &format!("{} {cmd}", bin.display()),
        "/dev/null",
    ]);
    for (k, v) in envs {
        p.env(k, v);
    }
    let o = p.output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    Some(String::from_utf8_lossy(&o.stdout).into_owned())
}

const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";

#[test]
fn gains_and_losses_are_colored_only_in_tables_on_a_terminal() {
    let dir = Path::new(ROOT);
    let args = "report fixtures/walkthrough/coinbase.csv fixtures/walkthrough/kraken-ledgers.csv --year 2025 -q";
    let Some(tty) = on_terminal(dir, args, &[]) else {
        return;
    };
    assert!(tty.contains(&format!("{RED}-1337.80")), "{tty}");
    assert!(tty.contains(&format!("{GREEN}449.84")));
    let no_color = on_terminal(dir, args, &[("NO_COLOR", "1")]).unwrap();
    assert!(!no_color.contains('\x1b') && no_color.contains("-1337.80"));
    let csv = on_terminal(dir, &format!("{args} --format csv"), &[]).unwrap();
    assert!(!csv.contains('\x1b'));
    // Not in a pipe, and not in a file.
    let piped = ok(&harvest_in(dir, &args.split(' ').collect::<Vec<_>>()));
    assert!(!piped.contains('\x1b') && piped.contains("-1337.80"));
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("t.txt");
    on_terminal(dir, &format!("{args} -o {}", out.display()), &[]).unwrap();
    let file = std::fs::read_to_string(out).unwrap();
    assert!(!file.contains('\x1b') && file.contains("-1337.80"));
}

#[test]
fn a_progress_bar_for_large_inputs_on_a_terminal_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from(
        "id,time,account,kind,sent_qty,sent_asset,received_qty,received_asset,fee_qty,fee_asset,usd_value,fee_usd,txid,note\n",
    );
    let mut i = 0;
    while csv.len() < 1_300_000 {
        csv.push_str(&format!(
            "b-{i:06},2024-01-{:02}T{:02}:{:02}:00Z,coinbase,buy,100.00,USD,0.001,BTC,0.50,USD,,,,a note to make the file larger\n",
            1 + i % 28,
            (i / 28) % 24,
            i % 60
        ));
        i += 1;
    }
    std::fs::write(dir.path().join("big.csv"), csv).unwrap();
    let args = "lots big.csv --format csv -o lots.csv";
    let Some(tty) = on_terminal(dir.path(), args, &[]) else {
        return;
    };
    assert!(tty.contains("big.csv"), "{tty}");
    assert!(tty.contains("MiB"), "{tty}");
    // Writing has its bar too (issue 18), into a file...
    assert!(tty.contains("writing lots.csv"), "{tty}");
    let redirected = on_terminal(dir.path(), "lots big.csv --format csv > out.txt", &[]).unwrap();
    assert!(
        redirected.contains("writing standard output"),
        "{redirected}"
    );
    // ...but not into a pipe (a pager would share the screen with it).
    let piped = on_terminal(
        dir.path(),
        "lots big.csv --format csv | cat > piped.txt",
        &[],
    )
    .unwrap();
    assert!(piped.contains("reading big.csv"), "{piped}");
    assert!(!piped.contains("writing"), "{piped}");
    for written in ["out.txt", "piped.txt"] {
        assert_eq!(
            std::fs::read(dir.path().join(written)).unwrap(),
            std::fs::read(dir.path().join("lots.csv")).unwrap()
        );
    }
    let quiet = on_terminal(dir.path(), &format!("{args} --quiet"), &[]).unwrap();
    assert_eq!(quiet, "");
    // stderr not a terminal: nothing.
    let o = harvest_in(dir.path(), &args.split(' ').collect::<Vec<_>>());
    ok(&o);
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // Small inputs: no bar even on a terminal.
    std::fs::copy(
        Path::new(ROOT).join("fixtures/example/ledger.csv"),
        dir.path().join("small.csv"),
    )
    .unwrap();
    let small = on_terminal(dir.path(), "lots small.csv -o lots.csv", &[]).unwrap();
    assert!(!small.contains("small.csv"), "{small}");
}

/// Issue 14 item 16: on a terminal narrower than a table, its text columns
/// (ids, accounts, descriptions) wrap so the table fits, and numbers and dates
/// stay whole.
#[test]
fn tables_fit_a_narrow_terminal() {
    let dir = Path::new(ROOT);
    let cmd = "gains fixtures/walkthrough/coinbase.csv fixtures/walkthrough/kraken-ledgers.csv --year 2025 -q";
    let Some(tty) = on_terminal(dir, cmd, &[("NO_COLOR", "1")]) else {
        return;
    };
    let wide = tty.lines().map(|l| l.chars().count()).max().unwrap();
    // script(1)'s pseudo-terminal has no size unless told: set one with stty.
    let bin = assert_cmd::cargo::cargo_bin("harvest");
    let o = Process::new("script")
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args([
            "-qec",
            &format!("stty rows 40 cols 110; {} {cmd}", bin.display()),
            "/dev/null",
        ])
        .output()
        .unwrap();
    let narrow = String::from_utf8_lossy(&o.stdout).replace('\r', "");
    let widest = narrow.lines().map(|l| l.chars().count()).max().unwrap();
    assert!(wide > 110, "{wide}");
    assert!(widest <= 110, "{widest}:\n{narrow}");
    for whole in ["-1337.80", "2024-06-01", "1697.28"] {
        assert!(narrow.contains(whole), "{whole}:\n{narrow}");
    }
}
