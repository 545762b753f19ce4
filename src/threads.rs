//! Work split between this thread and one more.

/// Runs `here` on this thread while `there` runs on another, and returns
/// both results. A panic on the other thread is passed on as this thread's
/// (a bug: never a result short of its rows).
pub fn join<A, B: Send>(here: impl FnOnce() -> A, there: impl FnOnce() -> B + Send) -> (A, B) {
    std::thread::scope(|s| {
        let helper = s.spawn(there);
        let a = here();
        match helper.join() {
            Ok(b) => (a, b),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_results_come_back_and_a_panic_there_is_passed_on() {
        assert_eq!(join(|| 1, || "two"), (1, "two"));
        let caught = std::panic::catch_unwind(|| join(|| 1, || -> u8 { panic!("there") }));
        let message = caught.expect_err("the panic is passed on");
        assert_eq!(message.downcast_ref::<&str>(), Some(&"there"));
    }
}
