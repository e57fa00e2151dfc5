//! Migration tests against a release's stable memory: one canister alone on its own runtime,
//! installed by the operator, whose stable memory is recorded as a gzipped fixture from a
//! release's wasm and later loaded under this code and upgraded (so `post_upgrade` migrates it).

use std::path::Path;

use candid::utils::ArgumentEncoder;
use candid::{decode_one, encode_args, CandidType, Deserialize, Principal};
use ic_runtime::{BlobCompression, PocketIc};

use crate::operator;

pub struct LoneCanister {
    pub pic: PocketIc,
    pub id: Principal,
}

impl LoneCanister {
    /// Installs `module` with the encoded `arg` on a fresh runtime.
    pub fn install(module: Vec<u8>, arg: Vec<u8>) -> Self {
        let pic = PocketIc::new();
        let settings = ic_runtime::management_types::CanisterSettings {
            controllers: Some(vec![operator()]),
            ..Default::default()
        };
        let id = pic.create_canister_with_settings(Some(operator()), Some(settings));
        pic.install_canister(id, module, arg, Some(operator()));
        LoneCanister { pic, id }
    }

    /// An update (or with `update` false, a query) call answering one value, decoded as `R`.
    pub fn call<R: CandidType + for<'a> Deserialize<'a>>(
        &self,
        update: bool,
        who: Principal,
        method: &str,
        args: impl ArgumentEncoder,
    ) -> R {
        let arg = encode_args(args).unwrap();
        let reply = if update {
            self.pic.update_call(self.id, who, method, arg)
        } else {
            self.pic.query_call(self.id, who, method, arg)
        };
        decode_one(&reply.unwrap()).unwrap()
    }

    /// Writes the stable memory to `path` + `.gz` (gzip -9, no name or time in it).
    pub fn record_stable_memory(&self, path: &Path) {
        std::fs::write(path, self.pic.get_stable_memory(self.id)).unwrap();
        let status = std::process::Command::new("gzip")
            .args(["-9", "-n", "-f"])
            .arg(path)
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Loads a recorded gzipped stable memory, then upgrades to `module`: what a deployed
    /// canister of that release goes through when this code is installed.
    pub fn load_and_upgrade(&self, dump: Vec<u8>, module: Vec<u8>, arg: Vec<u8>) {
        self.pic
            .set_stable_memory(self.id, dump, BlobCompression::Gzip);
        self.pic
            .upgrade_canister(self.id, module, arg, Some(operator()))
            .expect("the upgrade migrates the release's data");
    }
}
