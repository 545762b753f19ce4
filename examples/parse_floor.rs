//! The parse floor for bench/run.sh: read a CSV with the csv crate, touching every
//! field, and do nothing else. harvest's own times are quoted as a ratio to this.

use std::io::Read;

fn main() {
    let path = std::env::args().nth(1).expect("usage: parse_floor FILE");
    let mut data = Vec::new();
    std::fs::File::open(&path)
        .and_then(|mut f| f.read_to_end(&mut data))
        .expect("readable file");
    // flexible: exchange exports have preamble lines of other widths.
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(&data[..]);
    let mut rec = csv::ByteRecord::new();
    let (mut rows, mut bytes) = (0u64, 0u64);
    while rdr.read_byte_record(&mut rec).expect("valid CSV") {
        rows += 1;
        bytes += rec.iter().map(|f| f.len() as u64).sum::<u64>();
    }
    println!("{rows} rows, {bytes} field bytes");
}
