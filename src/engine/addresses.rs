//! The user's own addresses and the addresses they pay, from harvest.toml
//! (`[accounts.NAME] addresses = [...]`, `payments = [...]`), and how a
//! withdrawal's destination is read from its note.
//!
//! Importers write a withdrawal's destination address into its note (Coinbase
//! `Sent 0.1 BTC to bc1q...` or `(bc1q...)`, Binance `to bc1q...`), and a
//! hand-written row may name it there too. A note names an address when one
//! of its tokens is that address: a token is a run of ASCII letters, digits,
//! `-` and `_`, anything else separates tokens (`(bc1q...)`, `to:0xAb...,`).
//! EVM addresses (`0x` and 40 hex digits) and bech32 addresses (`bc1...`,
//! `ltc1...`, written all in lower or all in upper case) are compared without
//! case, as their formats allow either; any other (base58 `1...`/`3...`,
//! Solana, XRP, ...) exactly, since there case is part of the address. Looking
//! a note up costs one hash lookup per token of a listed address's length.

use std::borrow::Cow;
use std::fmt;

use rustc_hash::FxHashMap as HashMap;

use crate::model::{Kind, Ledger};

/// The shortest address accepted: shorter words would match ordinary words of
/// notes, and no chain's addresses are that short (base58 ones are 25 or more).
pub const MIN_ADDRESS_LEN: usize = 20;

/// An own address and the account that holds its coins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// The account (as the ledger names it).
    pub account: Box<str>,
    /// The address as harvest.toml writes it.
    pub address: Box<str>,
}

/// Where a withdrawal's note says it went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination<'a> {
    /// An own address of another account: a transfer to that account.
    Own(&'a Owner),
    /// An own address of the sending account itself: a self-transfer.
    SelfTransfer(&'a Owner),
    /// An address the sending account lists under `payments`: a spend.
    Payment(&'a str),
}

/// Why harvest.toml's addresses cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressError {
    /// A listed value that cannot be an address.
    NotAnAddress {
        account: String,
        list: &'static str,
        value: String,
        why: &'static str,
    },
    /// One address under two accounts' `addresses`.
    Twice {
        address: String,
        first: String,
        second: String,
    },
    /// An own address also listed as a payment address.
    OwnAndPayment {
        address: String,
        owner: String,
        payer: String,
    },
}

impl fmt::Display for AddressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AddressError::NotAnAddress {
                account,
                list,
                value,
                why,
            } => write!(
                f,
                "[accounts.{account}] {list}: {value:?} is not an address ({why}); write each \
                 address alone, as the wallet shows it (\"bc1q...\", \"0x...\")"
            ),
            AddressError::Twice {
                address,
                first,
                second,
            } => write!(
                f,
                "the address {address} is listed under [accounts.{first}] and \
                 [accounts.{second}] addresses: an address belongs to one account; keep it under \
                 the account whose coins it holds"
            ),
            AddressError::OwnAndPayment {
                address,
                owner,
                payer,
            } => write!(
                f,
                "the address {address} is an own address of [accounts.{owner}] and a payment \
                 address of [accounts.{payer}]: a payment goes to someone else's address; remove \
                 it from one of the lists"
            ),
        }
    }
}

impl std::error::Error for AddressError {}

/// A payment address as written, and the accounts that pay it.
type Payee = (Box<str>, Vec<Box<str>>);

/// The own and payment addresses of every account.
#[derive(Debug, Clone, Default)]
pub struct AddressBook {
    /// Address (as compared, see [`address_key`]) -> its owner.
    own: HashMap<Box<str>, Owner>,
    /// Address (as compared) -> the address as written and the accounts
    /// that pay it.
    payments: HashMap<Box<str>, Payee>,
    /// The lengths of the listed addresses (bit n: length n, for n < 128;
    /// bit 0: 128 or more), so that most tokens of a note need no lookup.
    lengths: u128,
}

/// Whether `c` belongs to a token of a note.
fn token_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-' || c == b'_'
}

/// The tokens of a note (see the module documentation).
fn tokens(note: &str) -> impl Iterator<Item = &str> {
    note.split(|c: char| !(c.is_ascii() && token_byte(c as u8)))
        .filter(|t| !t.is_empty())
}

/// The bech32 data alphabet (BIP 173).
const BECH32: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/// A bech32 string: a human-readable part of letters, `1`, then six or more
/// characters of the data alphabet, all in one case.
fn is_bech32(t: &str) -> bool {
    let Some(sep) = t.rfind('1') else {
        return false;
    };
    let (hrp, data) = (&t[..sep], &t[sep + 1..]);
    let one_case =
        !t.bytes().any(|b| b.is_ascii_uppercase()) || !t.bytes().any(|b| b.is_ascii_lowercase());
    !hrp.is_empty()
        && hrp.bytes().all(|b| b.is_ascii_alphabetic())
        && data.len() >= 6
        && one_case
        && data
            .bytes()
            .all(|b| BECH32.contains(&b.to_ascii_lowercase()))
}

/// An EVM address: `0x` and 40 hex digits.
fn is_evm(t: &str) -> bool {
    t.len() == 42
        && (t.starts_with("0x") || t.starts_with("0X"))
        && t[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// An address as compared: EVM and bech32 addresses in lower case, any other
/// as written.
pub fn address_key(t: &str) -> Cow<'_, str> {
    if (is_evm(t) || is_bech32(t)) && t.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(t.to_ascii_lowercase())
    } else {
        Cow::Borrowed(t)
    }
}

fn length_bit(n: usize) -> u128 {
    if n < 128 { 1 << n } else { 1 }
}

impl AddressBook {
    /// True when no address is listed.
    pub fn is_empty(&self) -> bool {
        self.own.is_empty() && self.payments.is_empty()
    }

    /// True when some account lists own addresses.
    pub fn has_own(&self) -> bool {
        !self.own.is_empty()
    }

    /// True when some account lists payment addresses.
    pub fn has_payments(&self) -> bool {
        !self.payments.is_empty()
    }

    /// A value of a list, checked: one token of a plausible length.
    fn checked(account: &str, list: &'static str, value: &str) -> Result<String, AddressError> {
        let v = value.trim();
        let bad = |why| AddressError::NotAnAddress {
            account: account.to_string(),
            list,
            value: value.to_string(),
            why,
        };
        if !v.bytes().all(token_byte) {
            return Err(bad(
                "only letters, digits, - and _: no spaces, labels or prefixes such as bitcoin:",
            ));
        }
        if v.len() < MIN_ADDRESS_LEN {
            return Err(bad("shorter than any address: 20 characters or more"));
        }
        Ok(v.to_string())
    }

    /// Lists `address` as an own address of `account`. The same address
    /// under two accounts is an error naming both.
    pub fn add_own(&mut self, account: &str, address: &str) -> Result<(), AddressError> {
        let a = Self::checked(account, "addresses", address)?;
        let key: Box<str> = address_key(&a).into();
        if let Some((_, payers)) = self.payments.get(&key) {
            return Err(AddressError::OwnAndPayment {
                address: a,
                owner: account.to_string(),
                payer: payers.first().map(|p| p.to_string()).unwrap_or_default(),
            });
        }
        match self.own.get(&key) {
            Some(o) if &*o.account == account => Ok(()),
            Some(o) => Err(AddressError::Twice {
                address: a,
                first: o.account.to_string(),
                second: account.to_string(),
            }),
            None => {
                self.lengths |= length_bit(key.len());
                self.own.insert(
                    key,
                    Owner {
                        account: account.into(),
                        address: a.into(),
                    },
                );
                Ok(())
            }
        }
    }

    /// Lists `address` as one that `account` pays: a withdrawal from
    /// `account` to it is a spend. An own address is an error.
    pub fn add_payment(&mut self, account: &str, address: &str) -> Result<(), AddressError> {
        let a = Self::checked(account, "payments", address)?;
        let key: Box<str> = address_key(&a).into();
        if let Some(o) = self.own.get(&key) {
            return Err(AddressError::OwnAndPayment {
                address: a,
                owner: o.account.to_string(),
                payer: account.to_string(),
            });
        }
        self.lengths |= length_bit(key.len());
        let e = self
            .payments
            .entry(key)
            .or_insert_with(|| (a.into(), Vec::new()));
        if !e.1.iter().any(|p| &**p == account) {
            e.1.push(account.into());
        }
        Ok(())
    }

    /// Every own address with its account, sorted by account then address.
    pub fn owners(&self) -> Vec<&Owner> {
        let mut v: Vec<&Owner> = self.own.values().collect();
        v.sort_by(|a, b| (&a.account, &a.address).cmp(&(&b.account, &b.address)));
        v
    }

    /// Where the note of a withdrawal from `sender` says it went: the first
    /// token that is an own address of another account, or an address
    /// `sender` pays; failing those, an own address of `sender` itself (so a
    /// note "from A to B" naming both of the user's addresses goes to B).
    pub fn destination(&self, sender: &str, note: &str) -> Option<Destination<'_>> {
        if self.is_empty() {
            return None;
        }
        let mut own_account = None;
        for t in tokens(note) {
            if self.lengths & length_bit(t.len()) == 0 {
                continue;
            }
            let key = address_key(t);
            if let Some(o) = self.own.get(&*key) {
                if &*o.account == sender {
                    own_account.get_or_insert(o);
                    continue;
                }
                return Some(Destination::Own(o));
            }
            if let Some((written, payers)) = self.payments.get(&*key)
                && payers.iter().any(|p| &**p == sender)
            {
                return Some(Destination::Payment(written));
            }
        }
        own_account.map(Destination::SelfTransfer)
    }
}

/// Turns each crypto withdrawal whose note names an address its account pays
/// (`payments`) into a `spend`: a disposal at its value, as the engine
/// applies a spend. Returns the rows changed, in ledger order.
pub fn mark_payments(ledger: &mut Ledger, book: &AddressBook) -> Vec<u32> {
    if !book.has_payments() {
        return Vec::new();
    }
    let mut changed = Vec::new();
    for &i in ledger.transfers() {
        let r = &ledger.rows[i as usize];
        if r.kind != Kind::Withdrawal || !r.sent.is_some_and(|s| s.is_crypto()) {
            continue;
        }
        let sender = ledger.syms.name(r.account);
        if let Some(Destination::Payment(_)) = book.destination(sender, ledger.note(r)) {
            changed.push(i);
        }
    }
    ledger.rekind(&changed, Kind::Spend);
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    const BC1: &str = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq";
    const EVM: &str = "0x52908400098527886E0F7030069857D2E4169EE7";
    const B58: &str = "1BoatSLRHtKNngkdXEeobR76b53LETtpyT";

    fn book() -> AddressBook {
        let mut b = AddressBook::default();
        b.add_own("nano", BC1).unwrap();
        b.add_own("metamask", EVM).unwrap();
        b.add_own("nano", B58).unwrap();
        b.add_payment("coinbase", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy")
            .unwrap();
        b
    }

    #[test]
    fn a_note_names_an_address_by_any_token() {
        let b = book();
        let own = |n: &str| match b.destination("coinbase", n) {
            Some(Destination::Own(o)) => Some(o.account.to_string()),
            _ => None,
        };
        for note in [
            format!("Sent 0.1 BTC to {BC1}"),
            format!("transfer ({BC1})"),
            format!("network BTC; to {BC1}"),
            format!("to:{BC1},"),
            BC1.to_uppercase(),
        ] {
            assert_eq!(own(&note).as_deref(), Some("nano"), "{note}");
        }
        // EVM: any case; base58: exactly.
        assert_eq!(own(&EVM.to_lowercase()).as_deref(), Some("metamask"));
        assert_eq!(own(&format!("to {B58}")).as_deref(), Some("nano"));
        assert_eq!(own(&B58.to_lowercase()), None);
        // Part of a longer word is not the address.
        assert_eq!(own(&format!("{BC1}x")), None);
        assert_eq!(own("Sent 2 SOL to ExampleSolAddress"), None);
    }

    #[test]
    fn payments_are_per_sending_account_and_self_transfers_last() {
        let b = book();
        let p = "paid 3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy for a laptop";
        assert!(matches!(
            b.destination("coinbase", p),
            Some(Destination::Payment(_))
        ));
        assert_eq!(b.destination("kraken", p), None);
        // From one own address to another: the other account's.
        let note = format!("from {B58} to {EVM}");
        assert!(matches!(
            b.destination("nano", &note),
            Some(Destination::Own(o)) if &*o.account == "metamask"
        ));
        assert!(matches!(
            b.destination("nano", &format!("consolidate {B58}")),
            Some(Destination::SelfTransfer(o)) if &*o.account == "nano"
        ));
    }

    #[test]
    fn conflicts_and_non_addresses_are_errors() {
        let mut b = book();
        let e = b.add_own("trezor", &BC1.to_uppercase()).unwrap_err();
        assert!(
            e.to_string()
                .contains("[accounts.nano] and [accounts.trezor]"),
            "{e}"
        );
        let e = b.add_payment("kraken", EVM).unwrap_err();
        assert!(matches!(e, AddressError::OwnAndPayment { .. }), "{e}");
        let e = b
            .add_own("x", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy")
            .unwrap_err();
        assert!(matches!(e, AddressError::OwnAndPayment { .. }), "{e}");
        for bad in ["bitcoin:bc1qxyzxyzxyzxyzxyzxyzxyz", "my cold wallet", "abc"] {
            assert!(
                matches!(b.add_own("x", bad), Err(AddressError::NotAnAddress { .. })),
                "{bad}"
            );
        }
        // The same address twice under one account is one address.
        assert!(b.add_own("nano", BC1).is_ok());
    }
}
