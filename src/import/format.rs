//! The export layouts `harvest import` reads: the format list, their names and
//! default accounts, and detecting a file's format from its header row.

use std::fmt;

use super::sheet::{decode, read_rows};
use super::{
    binance, binance_autoinvest, binance_buy_crypto, binance_convert, binance_deposits,
    binance_trades, binance_us, binance_withdrawals, bitstamp, cash_app, coinbase,
    coinbase_advanced, coinbase_pro, coinbase_transfers, coinledger, cointracker, crypto_com, dali,
    electrum, evm, exodus, gemini, koinly, koinly_trades, kraken_ledgers, kraken_trades, kucoin,
    ledger, ledger_live, paypal, robinhood, sparrow, trezor,
};

/// An export layout `harvest import` reads (SPEC section 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Coinbase,
    CoinbaseAdvanced,
    CoinbasePro,
    KrakenLedgers,
    KrakenTrades,
    Binance,
    BinanceTrades,
    BinanceUs,
    BinanceDeposits,
    BinanceWithdrawals,
    BinanceConvert,
    BinanceAutoinvest,
    Gemini,
    Koinly,
    KoinlyTrades,
    Cointracker,
    Coinledger,
    Dali,
    Electrum,
    Sparrow,
    LedgerLive,
    Trezor,
    Exodus,
    Etherscan,
    EtherscanInternal,
    EtherscanTokens,
    CashApp,
    Paypal,
    Robinhood,
    CryptoCom,
    Bitstamp,
    Kucoin,
    CoinbaseTransfers,
    BinanceBuyCrypto,
    Ledger,
}

impl Format {
    /// Every format, in the order detection tries them.
    pub const ALL: [Format; 35] = [
        Format::Coinbase,
        Format::CoinbaseAdvanced,
        Format::CoinbasePro,
        Format::KrakenLedgers,
        Format::KrakenTrades,
        Format::Binance,
        Format::BinanceTrades,
        Format::BinanceUs,
        Format::BinanceDeposits,
        Format::BinanceWithdrawals,
        Format::BinanceConvert,
        Format::BinanceAutoinvest,
        Format::Gemini,
        Format::Koinly,
        Format::KoinlyTrades,
        Format::Cointracker,
        Format::Coinledger,
        Format::Dali,
        Format::Electrum,
        Format::Sparrow,
        Format::LedgerLive,
        Format::Trezor,
        Format::Exodus,
        Format::Etherscan,
        Format::EtherscanInternal,
        Format::EtherscanTokens,
        Format::CashApp,
        Format::Paypal,
        Format::Robinhood,
        Format::CryptoCom,
        Format::Bitstamp,
        Format::Kucoin,
        Format::CoinbaseTransfers,
        Format::BinanceBuyCrypto,
        Format::Ledger,
    ];

    /// The `--format` name.
    pub fn name(self) -> &'static str {
        match self {
            Format::Coinbase => "coinbase",
            Format::CoinbaseAdvanced => "coinbase-advanced",
            Format::CoinbasePro => "coinbase-pro",
            Format::KrakenLedgers => "kraken-ledgers",
            Format::KrakenTrades => "kraken-trades",
            Format::Binance => "binance",
            Format::BinanceTrades => "binance-trades",
            Format::BinanceUs => "binance-us",
            Format::BinanceDeposits => "binance-deposits",
            Format::BinanceWithdrawals => "binance-withdrawals",
            Format::BinanceConvert => "binance-convert",
            Format::BinanceAutoinvest => "binance-autoinvest",
            Format::BinanceBuyCrypto => "binance-buy-crypto",
            Format::Gemini => "gemini",
            Format::Koinly => "koinly",
            Format::KoinlyTrades => "koinly-trades",
            Format::Cointracker => "cointracker",
            Format::Coinledger => "coinledger",
            Format::Dali => "dali",
            Format::Electrum => "electrum",
            Format::Sparrow => "sparrow",
            Format::LedgerLive => "ledger-live",
            Format::Trezor => "trezor",
            Format::Exodus => "exodus",
            Format::Etherscan => "etherscan",
            Format::EtherscanInternal => "etherscan-internal",
            Format::EtherscanTokens => "etherscan-tokens",
            Format::CashApp => "cash-app",
            Format::Paypal => "paypal",
            Format::Robinhood => "robinhood",
            Format::CryptoCom => "crypto-com",
            Format::Bitstamp => "bitstamp",
            Format::Kucoin => "kucoin",
            Format::CoinbaseTransfers => "coinbase-transfers",
            Format::Ledger => "ledger",
        }
    }

    /// The format with this `--format` name (case-insensitive).
    pub fn from_name(s: &str) -> Option<Format> {
        Format::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s.trim()))
    }

    /// The account rows get without `--account` (Ledger Live and Exodus rows
    /// that name their account get `Ledger Live: <name>`, `Exodus: <name>`).
    pub fn default_account(self) -> &'static str {
        match self {
            Format::Coinbase | Format::CoinbaseAdvanced | Format::CoinbaseTransfers => "coinbase",
            Format::CoinbasePro => "coinbase-pro",
            Format::KrakenLedgers | Format::KrakenTrades => "kraken",
            Format::Binance
            | Format::BinanceTrades
            | Format::BinanceDeposits
            | Format::BinanceWithdrawals
            | Format::BinanceConvert
            | Format::BinanceAutoinvest
            | Format::BinanceBuyCrypto => "binance",
            Format::BinanceUs => "binance-us",
            Format::Gemini => "gemini",
            Format::Koinly | Format::KoinlyTrades => "koinly",
            Format::Cointracker => "cointracker",
            Format::Coinledger => "coinledger",
            Format::Dali => "dali",
            Format::Electrum => "electrum",
            Format::Sparrow => "sparrow",
            Format::LedgerLive => "ledger-live",
            Format::Trezor => "trezor",
            Format::Exodus => "exodus",
            // The account is the address's (see evm.rs); this is the
            // fallback of a download whose address is not known.
            Format::Etherscan | Format::EtherscanInternal | Format::EtherscanTokens => "etherscan",
            Format::CashApp => "cash-app",
            Format::Paypal => "paypal",
            Format::Robinhood => "robinhood",
            Format::CryptoCom => "crypto-com",
            Format::Bitstamp => "bitstamp",
            Format::Kucoin => "kucoin",
            Format::Ledger => "ledger",
        }
    }

    /// The prefix of ids made for this format's rows. Kraken's ledgers and trades
    /// share one, so a trade seen in both exports is one trade; so do Electrum
    /// and Sparrow, so a wallet opened in both and exported twice is one wallet.
    pub(super) fn id_prefix(self) -> &'static str {
        match self {
            Format::Coinbase | Format::CoinbaseTransfers => "coinbase",
            Format::CoinbaseAdvanced => "coinbase-adv",
            Format::CoinbasePro => "coinbase-pro",
            Format::KrakenLedgers | Format::KrakenTrades => "kraken",
            Format::Binance => "binance",
            Format::BinanceTrades => "binance-trade",
            Format::BinanceUs => "binance-us",
            Format::BinanceDeposits | Format::BinanceWithdrawals => "binance-transfer",
            Format::BinanceConvert => "binance-convert",
            Format::BinanceAutoinvest => "binance-autoinvest",
            Format::BinanceBuyCrypto => "binance-buy-crypto",
            Format::Gemini => "gemini",
            Format::Koinly => "koinly",
            Format::KoinlyTrades => "koinly-trade",
            Format::Cointracker => "cointracker",
            Format::Coinledger => "coinledger",
            Format::Dali => "dali",
            Format::Electrum | Format::Sparrow => "btc-wallet",
            Format::LedgerLive => "ledger-live",
            Format::Trezor => "trezor",
            Format::Exodus => "exodus",
            Format::Etherscan | Format::EtherscanInternal | Format::EtherscanTokens => "evm",
            Format::CashApp => "cash-app",
            Format::Paypal => "paypal",
            Format::Robinhood => "robinhood",
            Format::CryptoCom => "crypto-com",
            Format::Bitstamp => "bitstamp",
            Format::Kucoin => "kucoin",
            Format::Ledger => "",
        }
    }

    /// True when `header` (trimmed cells) is this format's header row.
    pub(super) fn matches(self, h: &[String]) -> bool {
        match self {
            Format::Coinbase => coinbase::matches(h),
            Format::CoinbaseAdvanced => coinbase_advanced::matches(h),
            Format::CoinbasePro => coinbase_pro::matches(h),
            Format::KrakenLedgers => kraken_ledgers::matches(h),
            Format::KrakenTrades => kraken_trades::matches(h),
            Format::Binance => binance::matches(h),
            Format::BinanceTrades => binance_trades::matches(h),
            Format::BinanceUs => binance_us::matches(h),
            Format::BinanceDeposits => binance_deposits::matches(h),
            Format::BinanceWithdrawals => binance_withdrawals::matches(h),
            Format::BinanceConvert => binance_convert::matches(h),
            Format::BinanceAutoinvest => binance_autoinvest::matches(h),
            Format::Gemini => gemini::matches(h),
            Format::Koinly => koinly::matches(h),
            Format::KoinlyTrades => koinly_trades::matches(h),
            Format::Cointracker => cointracker::matches(h),
            Format::Coinledger => coinledger::matches(h),
            Format::Dali => dali::matches(h),
            Format::Electrum => electrum::matches(h),
            Format::Sparrow => sparrow::matches(h),
            Format::LedgerLive => ledger_live::matches(h),
            Format::Trezor => trezor::matches(h),
            Format::Exodus => exodus::matches(h),
            Format::Etherscan => evm::matches_normal(h),
            Format::EtherscanInternal => evm::matches_internal(h),
            Format::EtherscanTokens => evm::matches_tokens(h),
            Format::CashApp => cash_app::matches(h),
            Format::Paypal => paypal::matches(h),
            Format::Robinhood => robinhood::matches(h),
            Format::CryptoCom => crypto_com::matches(h),
            Format::Bitstamp => bitstamp::matches(h),
            Format::Kucoin => kucoin::matches(h),
            Format::CoinbaseTransfers => coinbase_transfers::matches(h),
            Format::BinanceBuyCrypto => binance_buy_crypto::matches(h),
            Format::Ledger => ledger::matches(h),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The `--format` names, comma-separated, for messages.
pub fn known_formats() -> String {
    Format::ALL.map(Format::name).join(", ")
}

/// How many leading rows may sit above a header (Coinbase writes up to 7).
pub(super) const PREAMBLE_ROWS: usize = 30;

/// Detects the format from the header (after any preamble lines and a BOM).
/// `Format::Ledger` when the header is harvest's own ledger (columns any order).
pub fn detect(data: &[u8]) -> Option<Format> {
    // Only the leading rows matter: decode a prefix, cut at a line end.
    const PREFIX: usize = 1 << 16;
    let head = if data.len() > PREFIX {
        let cut = data[..PREFIX]
            .iter()
            .rposition(|&b| b == b'\n')
            .unwrap_or(PREFIX);
        &data[..cut]
    } else {
        data
    };
    let text = decode(head);
    let rows = read_rows(&text, "", PREAMBLE_ROWS);
    rows.iter()
        .take(PREAMBLE_ROWS)
        .find_map(|(_, cells)| Format::ALL.into_iter().find(|f| f.matches(cells)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_below_a_preamble_and_a_lone_bom() {
        let cb = "\u{feff}\nTransactions\nUser,x,y\nID,Timestamp,Transaction Type,Asset,Quantity Transacted,Price Currency,Price at Transaction,Subtotal,Total (inclusive of fees and/or spread),Fees and/or Spread,Notes\n";
        assert_eq!(detect(cb.as_bytes()), Some(Format::Coinbase));
        assert_eq!(detect(b"time,kind,id,account\n"), Some(Format::Ledger));
        // A ledger header with an unknown column, or only some required ones, is
        // still a ledger, so that the column is named in the error.
        assert_eq!(
            detect(b"time,kind,id,account,extra\n"),
            Some(Format::Ledger)
        );
        assert_eq!(detect(b"id,time,kind\n"), Some(Format::Ledger));
        assert_eq!(detect(b"time,extra\n"), None);
        assert_eq!(detect(b""), None);
    }

    #[test]
    fn retail_app_headers_match_only_their_own_format() {
        let h = |s: &str| s.split(',').map(str::to_string).collect::<Vec<_>>();
        for (header, want) in [
            (
                "Transaction ID,Date,Transaction Type,Currency,Amount,Fee,Net Amount,Asset Type,Asset Price,Asset Amount,Status,Notes,Name of sender/receiver,Account",
                Format::CashApp,
            ),
            (
                "Date,Transaction ID,Transaction Type,Currency,Amount,Fee,Net Amount,Asset Type,Asset Price,Asset Amount",
                Format::CashApp,
            ),
            (
                "DateTime,Transaction Type,Asset In (Quantity),Asset In (Currency),Asset Out (Quantity),Asset Out (Currency),Transaction Fee (Quantity),Transaction Fee (Currency),Market Value (USD)",
                Format::Paypal,
            ),
            (
                "UUID,Time Entered,Symbol,Side,Quantity,State,Order Type,Leaves Quantity,Entered Price,Average Price,Notional",
                Format::Robinhood,
            ),
            (
                "Timestamp (UTC),Transaction Description,Currency,Amount,To Currency,To Amount,Native Currency,Native Amount,Native Amount (in USD),Transaction Kind,Transaction Hash",
                Format::CryptoCom,
            ),
            (
                "Timestamp (UTC),Transaction Description,Currency,Amount,To Currency,To Amount,Native Currency,Native Amount,Transaction Kind",
                Format::CryptoCom,
            ),
        ] {
            let found: Vec<Format> = Format::ALL
                .into_iter()
                .filter(|f| f.matches(&h(header)))
                .collect();
            assert_eq!(found, vec![want], "{header}");
        }
    }

    #[test]
    fn every_layout_of_the_newer_exchanges_is_its_own_format() {
        for (header, want) in [
            (
                "Type,Datetime,Account,Amount,Value,Rate,Fee,Sub Type",
                Format::Bitstamp,
            ),
            (
                "ID,Account,Type,Subtype,Datetime,Amount,Amount currency,Value,Value currency,Rate,Rate currency,Fee,Fee currency,Order ID",
                Format::Bitstamp,
            ),
            (
                "UID,Account Type,Order ID,Order Time(UTC),Symbol,Side,Order Type,Order Price,Order Amount,Avg. Filled Price,Filled Amount,Filled Volume,Filled Volume (USDT),Filled Time(UTC),Fee,Fee Currency,Tax,Status",
                Format::Kucoin,
            ),
            (
                "UID,Account Type,Order ID,Symbol,Side,Order Type,Avg. Filled Price,Filled Amount,Filled Volume,Filled Volume (USDT),Filled Time(UTC),Fee,Tax,Maker/Taker,Fee Currency",
                Format::Kucoin,
            ),
            (
                "tradeCreatedAt,orderId,symbol,side,price,size,funds,fee,liquidity,feeCurrency,orderType",
                Format::Kucoin,
            ),
            (
                "UID,Account Type,Time(UTC),Coin,Amount,Fee,Hash,Deposit Address,Transfer Network,Status,Remarks",
                Format::Kucoin,
            ),
            (
                "UID,Account Type,Time(UTC),Remarks,Status,Fee,Amount,Coin,Transfer Network,Withdrawal Address/Account",
                Format::Kucoin,
            ),
            ("Time,Coin,Network,Amount,Type,Remark,Fee", Format::Kucoin),
            (
                "Time,Coin,Network,Amount,Type,Wallet Address/Account,Remark",
                Format::Kucoin,
            ),
            (
                "Timestamp,Type,BTC,Subtotal,Fees,Total,Currency,Price Per Coin,Payment Method,ID,Share",
                Format::CoinbaseTransfers,
            ),
            (
                "Date(UTC),Method,Amount,Price,Fees,Final Amount,Status,Transaction ID",
                Format::BinanceBuyCrypto,
            ),
        ] {
            assert_eq!(
                detect(format!("{header}\n").as_bytes()),
                Some(want),
                "{header}"
            );
            let h: Vec<String> = header.split(',').map(str::to_string).collect();
            let found: Vec<Format> = Format::ALL.into_iter().filter(|f| f.matches(&h)).collect();
            assert_eq!(found, vec![want], "{header}");
        }
    }
}
