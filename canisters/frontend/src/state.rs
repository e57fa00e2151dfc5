//! The canister's state: the certified asset router, rebuilt by every install and upgrade from
//! the embedded app and the stored configuration (`config.rs`), so it lives on the heap only.

use std::cell::RefCell;

use ic_asset_certification::AssetRouter;

thread_local! {
    static ROUTER: RefCell<AssetRouter<'static>> = RefCell::new(AssetRouter::default());
}

pub fn router<R>(f: impl FnOnce(&AssetRouter<'static>) -> R) -> R {
    ROUTER.with_borrow(f)
}

pub fn set_router(router: AssetRouter<'static>) {
    ROUTER.set(router);
}
