//! A calendar feed through the HTTP gateway, fetched as a calendar application would: a feed
//! created through the API answers `text/calendar` that python's `icalendar` parses into the
//! events created through the API; the answer went through consensus (`http_request_update`)
//! so the gateway serves it without response certification; `If-None-Match` with its ETag
//! answers 304; an unknown token and a revoked feed answer 404.
//!
//! Needs `scripts/build.sh calendar` and python's `icalendar` (`scripts/setup.sh`).

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use candid::{Decode, Encode, Principal};
use common::{agent, identity, tokio, Server, TempDir};
use ic_agent::{Agent, Identity};
use interfaces::calendar::{Event, EventInput};
use interfaces::feeds::NewFeed;
use interfaces::security::MemberInit;
use interfaces::Error;
use local_network::gateway::{UPGRADED_HEADER, VERIFIED_HEADER};
use suite_client::manage::{self, Mode};
use suite_client::registry::default_effective_id;

const HOUR: u64 = 3_600 * 1_000_000_000;

async fn install_calendar(agent: &Agent, controller: Principal) -> Principal {
    let wasm = std::fs::read(common::wasm_dir().join("calendar.wasm.gz"))
        .unwrap_or_else(|e| panic!("calendar.wasm.gz: {e} (run scripts/build.sh calendar)"));
    let id = manage::create_canister(agent, default_effective_id(), vec![controller], None)
        .await
        .unwrap();
    let arg = candid::encode_args((None::<MemberInit>,)).unwrap();
    manage::install(agent, id, &wasm, arg, Mode::Install)
        .await
        .unwrap();
    id
}

async fn update(agent: &Agent, canister: Principal, method: &str, arg: Vec<u8>) -> Vec<u8> {
    agent
        .update(&canister, method)
        .with_arg(arg)
        .call_and_wait()
        .await
        .unwrap_or_else(|e| panic!("{method}: {e}"))
}

/// The SUMMARY of every VEVENT, as python's `icalendar` reads the text.
fn parsed_summaries(ics: &str) -> Vec<String> {
    let script = "import sys, icalendar\n\
                  cal = icalendar.Calendar.from_ical(sys.stdin.buffer.read())\n\
                  for e in cal.walk('VEVENT'):\n    print(str(e.get('SUMMARY')))\n";
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(ics.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "python's icalendar refused the feed (pip install icalendar, scripts/setup.sh): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut titles: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    titles.sort();
    titles
}

#[test]
fn a_feed_is_served_through_the_gateway_parsed_by_icalendar_and_gone_once_revoked() {
    let dir = TempDir::new("net-feeds");
    let server = Server::start(&dir.0);
    let rt = tokio();
    rt.block_on(async {
        let alice = identity(7);
        let me = alice.sender().unwrap();
        let agent = agent(&server.url, alice).await;
        let calendar = install_calendar(&agent, me).await;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        for (title, at) in [
            ("Dentist", now + 24 * HOUR),
            ("Lunch, with Bob", now + 50 * HOUR),
        ] {
            let input = EventInput::timed(title, at, at + HOUR, "Europe/Zurich");
            let reply = update(&agent, calendar, "create_event", Encode!(&input).unwrap()).await;
            Decode!(&reply, Result<Event, Error>).unwrap().unwrap();
        }
        let reply = update(&agent, calendar, "create_feed", Encode!(&"phone").unwrap()).await;
        let feed = Decode!(&reply, Result<NewFeed, Error>).unwrap().unwrap();
        assert_eq!(feed.token.len(), 40);

        let client = reqwest::Client::builder().no_gzip().build().unwrap();
        let host = format!("{calendar}.localhost:{}", server.port);
        let get = |path: String, etag: Option<String>| {
            let mut r = client
                .get(format!("{}{path}", server.url))
                .header("host", host.clone());
            if let Some(tag) = etag {
                r = r.header("if-none-match", tag);
            }
            r.send()
        };

        let ok = get(feed.path.clone(), None).await.unwrap();
        assert_eq!(ok.status(), 200);
        let header = |r: &reqwest::Response, n: &str| {
            r.headers().get(n).map(|v| v.to_str().unwrap().to_string())
        };
        assert_eq!(
            header(&ok, "content-type").as_deref(),
            Some("text/calendar; charset=utf-8")
        );
        // Served from the update call (certified by the subnet), not a certified query answer.
        assert_eq!(header(&ok, UPGRADED_HEADER).as_deref(), Some("true"));
        assert_eq!(header(&ok, VERIFIED_HEADER), None);
        assert!(header(&ok, "cache-control").unwrap().contains("max-age"));
        let etag = header(&ok, "etag").expect("an ETag");
        let text = ok.text().await.unwrap();
        assert_eq!(
            parsed_summaries(&text),
            vec!["Dentist".to_string(), "Lunch, with Bob".to_string()]
        );

        // The ETag answers 304 while nothing changed.
        let same = get(feed.path.clone(), Some(etag.clone())).await.unwrap();
        assert_eq!(same.status(), 304);

        // A wrong token, then the revoked feed: 404.
        let wrong = get(format!("/feeds/{}.ics", "0".repeat(40)), None)
            .await
            .unwrap();
        assert_eq!(wrong.status(), 404);
        let reply = update(
            &agent,
            calendar,
            "revoke_feed",
            Encode!(&feed.feed.id).unwrap(),
        )
        .await;
        Decode!(&reply, Result<(), Error>).unwrap().unwrap();
        let gone = get(feed.path.clone(), None).await.unwrap();
        assert_eq!(gone.status(), 404);
    });
    server.stop();
}
