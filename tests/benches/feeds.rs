//! Benchmark (not a test): what serving a calendar feed costs. A user with N events in the
//! feed's window (one-hour events, spread over the next months) fetches `/feeds/<token>.ics`
//! through `http_request_update`, as the HTTP gateway does after the query asks for the upgrade;
//! the table prints the instructions the canister counted (`ic0.performance_counter`, from
//! `get_metrics`), the feed's size, and what one fetch costs on a 13-node subnet: the ingress
//! message (1.2M cycles + 2K per request byte) plus execution (5M cycles + 0.4 per
//! instruction). A `304 Not Modified` answer is printed too. Also the price of one
//! subscription fetch (HTTPS outcall), which does not depend on the feed: it is set by the
//! response size the shard allows.
//!
//! Run with `cargo bench -p integration_tests --bench feeds` after `scripts/build.sh calendar`.

use candid::{encode_one, Principal};
use ic_http_certification::{HttpRequest, HttpUpdateRequest, HttpUpdateResponse};
use integration_tests::bench_setup::BenchShard;
use integration_tests::{user, wasm};
use interfaces::calendar::IcsImportReport;
use interfaces::feeds::NewFeed;
use interfaces::Error;

const HOUR: u64 = 3_600_000_000_000;
const SIZES: [usize; 3] = [10, 100, 1_000];
/// Events per import (the importer's limit).
const PER_IMPORT: usize = 500;

/// The shared bench shard, with the feed benchmark's own steps.
struct Shard(BenchShard);

impl std::ops::Deref for Shard {
    type Target = BenchShard;
    fn deref(&self) -> &BenchShard {
        &self.0
    }
}

impl Shard {
    fn new() -> Self {
        let s = Shard(BenchShard::install(wasm("calendar")));
        let _ = s.configure(100_000, 100_000);
        s
    }

    /// Imports `n` one-hour events, one every 9 hours from tomorrow on.
    fn fill(&self, who: Principal, n: usize) {
        let first = self.now_ns() / HOUR * HOUR + 24 * HOUR;
        let mut done = 0;
        while done < n {
            let mut text =
                String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\n");
            for i in done..n.min(done + PER_IMPORT) {
                let start = recurrence::jiff::Timestamp::from_nanosecond(
                    (first + i as u64 * 9 * HOUR) as i128,
                )
                .unwrap()
                .strftime("%Y%m%dT%H%M%SZ");
                text.push_str(&format!(
                    "BEGIN:VEVENT\r\nUID:bench-{i}\r\nDTSTAMP:20260101T000000Z\r\n\
                     DTSTART:{start}\r\nDURATION:PT1H\r\nSUMMARY:Meeting {i}\r\n\
                     LOCATION:Room {}\r\nEND:VEVENT\r\n",
                    i % 7
                ));
            }
            text.push_str("END:VCALENDAR\r\n");
            let r: Result<IcsImportReport, Error> =
                self.update(who, "import_ics", encode_one(text).unwrap());
            r.unwrap();
            done = n.min(done + PER_IMPORT);
        }
    }

    fn fetch(&self, path: &str, etag: Option<&str>) -> (HttpUpdateResponse<'static>, u64) {
        let headers = etag
            .map(|t| vec![("if-none-match".to_string(), t.to_string())])
            .unwrap_or_default();
        let request: HttpUpdateRequest =
            HttpRequest::get(path).with_headers(headers).build_update();
        let bytes = self
            .pic
            .update_call(
                self.id,
                Principal::anonymous(),
                "http_request_update",
                encode_one(request.clone()).unwrap(),
            )
            .unwrap();
        let response: HttpUpdateResponse = candid::decode_one(&bytes).unwrap();
        (response, self.method_instructions("http_request_update"))
    }
}

/// Cycles of one ingress update on a 13-node subnet.
fn cycles(request_bytes: u64, instructions: u64) -> u64 {
    1_200_000 + 2_000 * request_bytes + 5_000_000 + instructions * 4 / 10
}

fn main() {
    println!("serving a feed (GET /feeds/<token>.ics through http_request_update)");
    println!(
        "{:>8} {:>8} {:>12} {:>16} {:>14} {:>16} {:>14}",
        "events",
        "status",
        "bytes",
        "instructions",
        "cycles/fetch",
        "304 instructions",
        "304 cycles"
    );
    for n in SIZES {
        let shard = Shard::new();
        let alice = user(1);
        shard.fill(alice, n);
        let feed: Result<NewFeed, Error> =
            shard.update(alice, "create_feed", encode_one("bench").unwrap());
        let feed = feed.unwrap();
        let (ok, instructions) = shard.fetch(&feed.path, None);
        let text = String::from_utf8(ok.body().to_vec()).unwrap();
        assert_eq!(
            text.matches("BEGIN:VEVENT").count(),
            n,
            "every event is in the feed"
        );
        let etag = ok
            .headers()
            .iter()
            .find(|(h, _)| h == "etag")
            .map(|(_, v)| v.clone())
            .unwrap();
        let (not_modified, i304) = shard.fetch(&feed.path, Some(&etag));
        assert_eq!(not_modified.status_code().as_u16(), 304);
        // The request as the gateway sends it: the Candid record with a few headers, about
        // 300 bytes besides the path.
        let request_bytes = 300 + feed.path.len() as u64;
        println!(
            "{:>8} {:>8} {:>12} {:>16} {:>14} {:>16} {:>14}",
            n,
            ok.status_code().as_u16(),
            text.len(),
            instructions,
            cycles(request_bytes, instructions),
            i304,
            cycles(request_bytes + 60, i304)
        );
    }
    // The subscription side: ic0.cost_http_request for the shard's request (a URL of 40 bytes,
    // two headers, the transform's name), for a first fetch (1 MiB + 16 KiB allowed) and for a
    // feed that was 50 KB last time (twice that plus 16 KiB).
    let request = 40
        + "accept".len()
        + "text/calendar".len()
        + "user-agent".len()
        + "icp-calendar".len()
        + "transform_feed".len();
    for (what, max_response) in [
        ("first fetch", (1u128 << 20) + 16_384),
        ("a 50 KB feed", 2 * 50_000 + 16_384),
    ] {
        let price =
            (3_000_000 + 60_000 * 13) * 13 + 400 * 13 * request as u128 + 800 * 13 * max_response;
        println!("one subscription fetch (HTTPS outcall, 13-node price), {what}: {price} cycles");
    }
}
