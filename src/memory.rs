//! Asking Linux to back the largest buffers, reserved once at their full size
//! (the ledger's rows; the engine's lots, legs and disposals), with transparent
//! huge pages.
//!
//! A million-row ledger's rows take about 220 MiB and the engine's outputs some
//! 140 MiB more. With 4 KiB pages, filling them costs a page fault every 4 KiB;
//! with 2 MiB pages, one per 2 MiB: a 1M-row report went from 153,000 page faults
//! to about 50,000. This only changes anything where the kernel's THP mode is
//! `madvise` (with `always` it is the default; with `never` the advice is
//! ignored). Vectors that grow by doubling are left alone: advising every large
//! block was measured to raise the peak RSS by about 30 MiB at 1M rows.

/// Buffers smaller than this are left alone: glibc may place them in the heap
/// that small allocations share (its mmap threshold rises to 32 MiB), where
/// huge pages would be faulted in for a few small blocks each.
const LARGE: usize = 64 << 20;

/// Reserves room for `n` more elements at once, and advises huge pages for the
/// whole buffer when it is large. If the room is refused, `v` is left to grow as
/// usual (room not written takes address space, not memory).
pub(crate) fn reserve<T>(v: &mut Vec<T>, n: usize) {
    if v.try_reserve(n).is_err() {
        return;
    }
    let size = v.capacity() * size_of::<T>();
    if size >= LARGE {
        advise(v.as_mut_ptr().cast(), size);
    }
}

/// Reorders `v` so that `v[k]` becomes the old `v[order[k]]`, moving each
/// element once (by following the permutation's cycles).
pub(crate) fn permute<T>(v: &mut [T], order: &[u32]) {
    // Every index is checked first: nothing below can panic while a value is
    // held twice.
    assert!(order.len() == v.len() && order.iter().all(|&o| (o as usize) < v.len()));
    let mut done = vec![false; v.len()];
    let p = v.as_mut_ptr();
    for start in 0..v.len() {
        if done[start] || order[start] as usize == start {
            continue;
        }
        // Each value of the cycle moves once into the hole the last one left
        // (a swap would copy it three times; rows are 224 bytes).
        // SAFETY: every index is in bounds (checked above); `held` is the only
        // copy of v[start] while the cycle shifts the others by one, and it is
        // written back into the last hole, so each value ends in one place.
        unsafe {
            let held = std::ptr::read(p.add(start));
            let mut k = start;
            loop {
                done[k] = true;
                let src = order[k] as usize;
                if src == start {
                    std::ptr::write(p.add(k), held);
                    break;
                }
                std::ptr::copy_nonoverlapping(p.add(src), p.add(k), 1);
                k = src;
            }
        }
    }
}

#[cfg(target_os = "linux")]
fn advise(ptr: *mut u8, size: usize) {
    // madvise wants page-aligned ranges: advise the whole 2 MiB pages inside.
    const HUGE: usize = 2 << 20;
    let start = (ptr as usize).next_multiple_of(HUGE);
    let end = (ptr as usize + size) & !(HUGE - 1);
    if end > start {
        // SAFETY: the range lies inside the vector's own allocation, which the
        // caller holds mutably; the advice changes no contents (the kernel
        // keeps them whatever page size backs them), and a failure only means
        // no advice.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise(_: *mut u8, _: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permute_follows_the_order() {
        let mut v = vec!['a', 'b', 'c', 'd', 'e'];
        permute(&mut v, &[3, 0, 4, 1, 2]);
        assert_eq!(v, vec!['d', 'a', 'e', 'b', 'c']);
        // Values that own memory, in cycles of several lengths and fixed points.
        let mut v: Vec<String> = (0..8).map(|i| i.to_string()).collect();
        let order = [2, 0, 1, 3, 7, 6, 5, 4];
        permute(&mut v, &order);
        let want: Vec<String> = order.iter().map(|i| i.to_string()).collect();
        assert_eq!(v, want);
    }
}
