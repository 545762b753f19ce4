//! Work split between this thread and one more.

use std::sync::OnceLock;

/// Whether this process may run on two cores or more (its CPU affinity and
/// cgroup quota, as `taskset` or a container set them), asked once.
///
/// With one, work split in two only costs more: each half's setup, a second
/// thread's start and the switches between the two, and the halves' merge.
pub fn two_cores() -> bool {
    static TWO: OnceLock<bool> = OnceLock::new();
    *TWO.get_or_init(|| std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2))
}

/// The least work worth a second thread: `min` with two cores, none with one
/// (`usize::MAX`).
pub fn worth_a_thread(min: usize) -> usize {
    if two_cores() { min } else { usize::MAX }
}

/// Runs `here` on this thread while `there` runs on another, and returns
/// both results; on one core (see [`two_cores`]), `here` then `there`, both
/// on this thread. Neither may wait for the other. A panic on the other
/// thread is passed on as this thread's (a bug: never a result short of its
/// rows).
pub fn join<A, B: Send>(here: impl FnOnce() -> A, there: impl FnOnce() -> B + Send) -> (A, B) {
    join_on(two_cores(), here, there)
}

/// [`join`] with a second thread only when `two`.
fn join_on<A, B: Send>(
    two: bool,
    here: impl FnOnce() -> A,
    there: impl FnOnce() -> B + Send,
) -> (A, B) {
    if !two {
        return (here(), there());
    }
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

    #[test]
    fn on_one_core_both_run_here_in_order() {
        let here = std::thread::current().id();
        let order = std::sync::Mutex::new(Vec::new());
        let (a, b) = join_on(
            false,
            || {
                order.lock().unwrap().push("here");
                std::thread::current().id()
            },
            || {
                order.lock().unwrap().push("there");
                std::thread::current().id()
            },
        );
        assert_eq!((a, b), (here, here));
        assert_eq!(*order.lock().unwrap(), ["here", "there"]);
        let (_, b) = join_on(true, || (), || std::thread::current().id());
        assert_ne!(b, here);
        assert_eq!(worth_a_thread(7), if two_cores() { 7 } else { usize::MAX });
    }
}
