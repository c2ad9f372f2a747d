//! A panic is a bug, never a verdict on input, but if one happens the host must learn what it
//! was, and no Promise may hang. The wasm build aborts on panic (a trap, which JS sees as a
//! `WebAssembly.RuntimeError` without the message). The hook installed here runs first:
//! - it keeps the message and source location, which the package's JS (`scorer.js`) takes with
//!   `takePanicMessage` when a call it made traps, to throw an `Error` with code
//!   `SEQRISK_INTERNAL` that says what panicked and where;
//! - it rejects, with that `Error`, every Promise still waiting on asynchronous work
//!   ([`promise`]: the WebGPU read-back), whose trap happens outside any call of the caller's.

use crate::json::{Code, js_error};
use std::cell::{Cell, RefCell};
use std::future::Future;
use wasm_bindgen::prelude::*;

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
    /// The reject functions of the Promises of [`promise`] not yet settled, by id.
    static IN_FLIGHT: RefCell<Vec<(u64, js_sys::Function)>> = const { RefCell::new(Vec::new()) };
    static NEXT_ID: Cell<u64> = const { Cell::new(0) };
}

/// Runs when the module is instantiated.
#[wasm_bindgen(start)]
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = info.to_string();
        let pending = IN_FLIGHT.with(|f| f.try_borrow_mut().map(|mut f| std::mem::take(&mut *f)));
        if let Ok(pending) = pending {
            let error = js_error(
                Code::Internal,
                &format!("seqrisk: internal error in the wasm scorer: {message}; please report it"),
            );
            for (_, reject) in pending {
                let _ = reject.call1(&JsValue::UNDEFINED, &error);
            }
        }
        LAST_PANIC.with(|last| {
            if let Ok(mut last) = last.try_borrow_mut() {
                *last = Some(message);
            }
        });
    }));
}

/// The message of the panic that stopped the last call (`"panicked at src/…:line:col:\n…"`),
/// once; `undefined` if none did.
#[wasm_bindgen(js_name = takePanicMessage)]
pub fn take_panic_message() -> Option<String> {
    LAST_PANIC.with(|last| last.try_borrow_mut().ok().and_then(|mut l| l.take()))
}

/// A Promise settled by `work`, or rejected by the panic hook should `work` panic.
pub fn promise(work: impl Future<Output = Result<JsValue, JsValue>> + 'static) -> js_sys::Promise {
    let mut settle = None;
    // the executor runs within `Promise::new`
    let promise = js_sys::Promise::new(&mut |resolve, reject| settle = Some((resolve, reject)));
    let Some((resolve, reject)) = settle else {
        return js_sys::Promise::reject(&js_error(Code::Internal, "Promise executor did not run"));
    };
    let id = NEXT_ID.with(|n| {
        let id = n.get();
        n.set(id + 1);
        id
    });
    IN_FLIGHT.with(|f| f.borrow_mut().push((id, reject.clone())));
    wasm_bindgen_futures::spawn_local(async move {
        let outcome = work.await;
        IN_FLIGHT.with(|f| f.borrow_mut().retain(|(i, _)| *i != id));
        let _ = match outcome {
            Ok(value) => resolve.call1(&JsValue::UNDEFINED, &value),
            Err(error) => reject.call1(&JsValue::UNDEFINED, &error),
        };
    });
    promise
}
