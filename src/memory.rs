//! The process's allocator, and the reservation and reordering of the largest
//! buffers (the ledger's rows; the engine's lots, legs and disposals).
//!
//! The largest buffers filled in order are not advised to transparent huge pages
//! (`MADV_HUGEPAGE`), though a 1M-row report then takes about 80,000 page
//! faults instead of 38,000. Huge pages come from the kernel's free 2 MiB
//! blocks, and a virtual machine that reports free memory to its host
//! (virtio-balloon's free page reporting, as WSL2 and many cloud machines do)
//! reports exactly those blocks, which the host then takes back: each must be
//! faulted in by the host again. On this project's test machine (a KVM guest
//! whose balloon reports free blocks of order 9, 2 MiB) a 10M-row
//! `report --year 2025` took 8.2-9.3 s with the advice (4.3-7.1 s of it system
//! time) and 6.0-6.1 s without (1.5 s), and a 1M-row one 0.68-1.07 s against
//! 0.74-0.78 s on one core, run by turns. Small pages come first from the
//! fragments of recently used memory.

use std::alloc::{GlobalAlloc, Layout, System};

/// The process's allocator: blocks up to [`SMALL`] bytes from mimalloc, larger
/// ones from the system's (glibc's) malloc.
///
/// An import makes and frees a dozen small strings a row; glibc's malloc and
/// free were a fifth of a Coinbase import's time, mimalloc's take much less.
/// The large buffers (the ledger's rows, the engine's lots, a batch of
/// records) stay with glibc: it grows them in place with `mremap` and hands
/// their pages back at once, where mimalloc alone raised a 1M-row report's
/// peak memory by 50 MiB and its time too.
pub struct Allocator;

/// The largest block mimalloc serves (see [`Allocator`]).
const SMALL: usize = 64 << 10;

/// Whether mimalloc's plain `mi_malloc` meets `layout`'s alignment, so that
/// the aligned entry points (which check the alignment on every call) are not
/// needed: as for glibc's malloc in Rust's `System`, an alignment of at most 16
/// bytes (`MI_MAX_ALIGN_SIZE`) and at most the size. mimalloc's blocks of a
/// size class start 16-byte aligned and are multiples of 8 bytes apart, and a
/// size that is a multiple of 16 gets a class that is one too.
fn plain(layout: Layout) -> bool {
    layout.align() <= 16 && layout.align() <= layout.size()
}

/// mimalloc's `mi_option_purge_delay` (its place in `mi_option_e` of the
/// mimalloc 3 that libmimalloc-sys 0.1.49 builds; a test checks its default).
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Sets the allocator up; call it first thing in `main`.
///
/// mimalloc hands the pages of freed blocks back to the system a second later
/// by default; meanwhile a report makes its large buffers, so a 10M-row report
/// peaked 240 MiB higher (3.07 GiB, over the 3 GiB it must stay within). With
/// no delay it peaks about where glibc alone did (2.92 GiB against 2.90).
pub fn init() {
    // SAFETY: setting an option is a plain store in mimalloc's option table.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 0) }
}

// SAFETY: each block is freed or resized by the allocator that made it: the
// layout a block is freed or resized with has the size it was last given, and
// that size alone picks the allocator. A block moving across `SMALL` is
// copied into a new block of the other allocator and the old one freed.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's layout is passed on unchanged.
        unsafe {
            if layout.size() > SMALL {
                System.alloc(layout)
            } else if plain(layout) {
                libmimalloc_sys::mi_malloc(layout.size()).cast()
            } else {
                mimalloc::MiMalloc.alloc(layout)
            }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as `alloc`.
        unsafe {
            if layout.size() > SMALL {
                System.alloc_zeroed(layout)
            } else if plain(layout) {
                libmimalloc_sys::mi_zalloc(layout.size()).cast()
            } else {
                mimalloc::MiMalloc.alloc_zeroed(layout)
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `layout` is the block's, so its size names the allocator
        // that made it.
        unsafe {
            if layout.size() <= SMALL {
                mimalloc::MiMalloc.dealloc(ptr, layout)
            } else {
                System.dealloc(ptr, layout)
            }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let (was_small, is_small) = (layout.size() <= SMALL, new_size <= SMALL);
        // SAFETY: `ptr` and `layout` are the block's (the caller's contract),
        // so the block is resized or freed by the allocator that made it; a
        // new block has the old alignment and `new_size`, which the caller
        // guarantees is a valid layout, and the copy is of the bytes both
        // blocks hold.
        unsafe {
            match (was_small, is_small) {
                (true, true) if plain(layout) && new_size >= layout.align() => {
                    libmimalloc_sys::mi_realloc(ptr.cast(), new_size).cast()
                }
                (true, true) => mimalloc::MiMalloc.realloc(ptr, layout, new_size),
                (false, false) => System.realloc(ptr, layout, new_size),
                _ => {
                    let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
                    let new = self.alloc(new_layout);
                    if !new.is_null() {
                        std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                        self.dealloc(ptr, layout);
                    }
                    new
                }
            }
        }
    }
}

/// Reserves room for `n` more elements at once. If the room is refused, `v`
/// is left to grow as usual (room not written takes address space, not
/// memory).
pub(crate) fn reserve<T>(v: &mut Vec<T>, n: usize) {
    // A failure here only means the vector grows by doubling later.
    let _ = v.try_reserve(n);
}

/// Asks the processor to start loading the cache line at `at` into its
/// caches: a hint, for lookups at scattered places of large tables, given a
/// few lookups before the one that reads it.
#[inline(always)]
pub(crate) fn prefetch<T>(at: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is only a hint: it changes nothing the program can
    // see and cannot fault, whatever the address (nothing is read through
    // the pointer), and SSE is part of every x86_64 processor.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(at.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = at;
}

/// Buffers smaller than this are not advised: glibc may place them in the
/// heap that small allocations share (its mmap threshold rises to at most 32
/// MiB; a block of that size or more is always mapped on its own), where huge
/// pages would be faulted in for a few small blocks each.
const LARGE: usize = 32 << 20;

/// Advises a table looked up at random (the ids an import has seen), made
/// and not yet written, to transparent huge pages after all when it is
/// large: with 4 KiB pages nearly every probe would also miss the TLB. A
/// Coinbase import of a million rows took 1.44 s on one core without the
/// advice and 1.35 s with it, and with a table of 41 MiB 1.41 s against
/// 1.21-1.25 s, though the pages are faulted in by the host again (see
/// above): the rows, lots and legs are filled in order, where the TLB misses
/// little.
pub(crate) fn advise_for_lookups<T>(v: &mut Vec<T>) {
    let size = v.capacity() * size_of::<T>();
    if size >= LARGE {
        advise(v.as_mut_ptr().cast(), size);
    }
}

/// A page, and a huge page (transparent huge pages on x86-64 Linux).
const PAGE: usize = 4096;
const HUGE: usize = 2 << 20;

/// The whole `align`-sized pages inside the addresses `from..to` (empty when
/// there are none): madvise wants page-aligned ranges.
fn whole_pages(from: usize, to: usize, align: usize) -> std::ops::Range<usize> {
    let start = from.next_multiple_of(align);
    start..(to & !(align - 1)).max(start)
}

#[cfg(target_os = "linux")]
fn advise(ptr: *mut u8, size: usize) {
    let huge = whole_pages(ptr as usize, ptr as usize + size, HUGE);
    if !huge.is_empty() {
        // SAFETY: the range lies inside the vector's own allocation, which the
        // caller holds mutably; the advice changes no contents (the kernel
        // keeps them whatever page size backs them), and a failure only means
        // no advice.
        unsafe {
            libc::madvise(
                huge.start as *mut libc::c_void,
                huge.len(),
                libc::MADV_HUGEPAGE,
            );
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise(_: *mut u8, _: usize) {}

/// Room at the end of a vector that another thread is filling, whose pages a
/// thread with time to spare faults in ahead of it ([`Prefault::ahead`]): the
/// kernel clears each fresh page as it is first written, and for the rows of
/// a large ledger (136 bytes each) that clearing was a third of the row
/// builder's time, while the thread that splits the CSV for it waits half
/// of its own.
pub(crate) struct Prefault {
    /// The first byte not yet faulted in, and the end of the room.
    next: usize,
    end: usize,
    /// The room's start and the size of its elements.
    start: usize,
    size: usize,
}

impl Prefault {
    /// The spare room of `v`, as it is now.
    pub(crate) fn spare<T>(v: &mut Vec<T>) -> Prefault {
        let spare = v.spare_capacity_mut();
        let start = spare.as_mut_ptr() as usize;
        Prefault {
            next: start,
            end: start + size_of_val(spare),
            start,
            size: size_of::<T>(),
        }
    }

    /// Faults in the room for the first `n` elements added, if not yet.
    pub(crate) fn ahead(&mut self, n: usize) {
        // Whole pages, and only those the room covers: the first partial page
        // is the vector's, written already or by the filler.
        let to = (n.saturating_mul(self.size).saturating_add(self.start)).min(self.end);
        let pages = whole_pages(self.next, to, PAGE);
        if !pages.is_empty() {
            populate(pages.start, pages.len());
            self.next = pages.end;
        }
    }
}

/// A block of memory that its owner will touch at random (the table of ids
/// an import has seen), to be faulted in from another thread meanwhile
/// ([`FaultIn::run`]).
pub(crate) struct FaultIn {
    start: usize,
    end: usize,
}

impl FaultIn {
    /// The whole pages of `v`.
    pub(crate) fn of<T>(v: &[T]) -> FaultIn {
        let at = v.as_ptr() as usize;
        let pages = whole_pages(at, at + size_of_val(v), PAGE);
        FaultIn {
            start: pages.start,
            end: pages.end,
        }
    }

    /// Faults the pages in, 2 MiB at a time. Safe to race with the owner's
    /// writes, and to run on after the block is freed (see [`populate`]): it
    /// changes no contents, faults in whatever is mapped there by then, and
    /// fails where nothing is.
    pub(crate) fn run(self) {
        // A huge page a call: the kernel may hold the memory map's lock
        // through one call (a `munmap` elsewhere would wait on hundreds of
        // megabytes), and a hole (the block freed, partly unmapped) ends
        // only its own step.
        let mut at = self.start;
        while at < self.end {
            let to = (at + HUGE).min(self.end);
            populate(at, to - at);
            at = to;
        }
    }
}

#[cfg(target_os = "linux")]
fn populate(start: usize, len: usize) {
    // SAFETY: the range is page-aligned and lies in spare room of a vector
    // or in a block given to `FaultIn` (or, had either moved or been freed
    // since, in memory no longer its own, possibly unmapped): populating for
    // writing faults in missing pages and changes no contents, so it races
    // with no write of the owner. A failure (an old kernel without the
    // advice, an unmapped range) only means the owner faults the pages in
    // itself.
    unsafe {
        libc::madvise(start as *mut libc::c_void, len, libc::MADV_POPULATE_WRITE);
    }
}

#[cfg(not(target_os = "linux"))]
fn populate(_: usize, _: usize) {}

/// Reorders `v` so that `v[k]` becomes the old `v[order[k]]`. The elements
/// that move towards the back (`order[k] < k`) are copied into a second
/// buffer first; then one pass from the front moves every other element
/// forward into its place, and takes each of those from the buffer.
///
/// Following the permutation's cycles in place needs no second buffer, but
/// each step waits for the last one's two cache misses (the next index, then
/// the element): a 10M-row ledger's rows (1.3 GB) took 1.5 s to put in order
/// that way. Gathering the whole part out of place into a second buffer took
/// as large a buffer, faulted in page by page, and a copy back. A ledger
/// sorted by time but for rows stamped late here and there moves nearly all
/// its rows forward, a few places each, in one pass in address order: only
/// the late rows go through the buffer.
///
/// A large `v` is passed over in two halves on two threads (the copying is
/// the memory's time, and one core does not use all of it): an element
/// moving from one half into the other goes through the buffer too.
pub(crate) fn permute<T: Send>(v: &mut [T], order: &[u32]) {
    let halves = size_of_val(v) >= TWO_HALVES;
    // std's scope, not `threads::join`: modules of one layer do not use
    // each other (tests/layers.rs).
    // Without a second thread, the halves one after the other.
    permute_in_parts(v, order, halves, |first, second| {
        std::thread::scope(|s| {
            if std::thread::Builder::new().spawn_scoped(s, second).is_err() {
                second();
            }
            first();
        });
    });
}

/// Runs the passes over two halves (see [`permute_in_parts`]).
type Both = fn(&(dyn Fn() + Sync), &(dyn Fn() + Sync));

/// [`permute`], in two halves (run by `both`: tests run them one after the
/// other, in either order) or in one pass.
fn permute_in_parts<T: Send>(v: &mut [T], order: &[u32], halves: bool, both: Both) {
    let n = v.len();
    assert_eq!(order.len(), n, "an order names every element");
    // Every element is taken exactly once (checked first: nothing below can
    // panic while an element is held twice).
    let mut seen = vec![false; n];
    assert!(
        order
            .iter()
            .all(|&o| { (o as usize) < n && !std::mem::replace(&mut seen[o as usize], true) }),
        "an order is a permutation"
    );
    drop(seen);
    // The halves: [0, mid) and [mid, n); one part for a small `v`.
    let mid = if halves { n / 2 } else { n };
    let buffered = |k: usize, o: usize| o < k || (o < mid) != (k < mid);
    let through = order
        .iter()
        .enumerate()
        .filter(move |&(k, &o)| buffered(k, o as usize));
    // How many go through `held`, and how many of them land in the first
    // half (the second half's start in `held`).
    let (count, first) = through
        .clone()
        .fold((0, 0), |(c, f), (k, _)| (c + 1, f + usize::from(k < mid)));
    let mut held: Vec<T> = Vec::new();
    reserve(&mut held, count);
    if held.capacity() < count {
        // No room for the buffer: the cycles, in place.
        return permute_in_place(v, order);
    }
    let (p, h) = (Shared(v.as_mut_ptr()), Shared(held.as_mut_ptr()));
    // SAFETY: every index is in bounds and `order` is a permutation (checked
    // above). Each element that goes through `held` is copied there while
    // its slot is still as it was (nothing is written yet). The pass over a
    // part writes slot `k` only after every slot of the part before it; the
    // element it moves there comes from a slot `o >= k` of the same part, not
    // written yet and read by no other step (an element from the other part,
    // or from before `k`, comes from `held`), so each element is read once
    // from its original place or from `held`, and the two passes touch
    // disjoint slots of `v` and of `held`. A slot copied into `held` is
    // written over in its part's pass (its element left it: `order` there is
    // not the slot itself): afterwards each element is in exactly one slot of
    // `v`, and `held`, never given a length, drops none of them.
    unsafe {
        for (j, (_, &o)) in through.enumerate() {
            std::ptr::copy_nonoverlapping(p.get().add(o as usize), h.get().add(j), 1);
        }
    }
    let pass = move |part: std::ops::Range<usize>, mut j: usize| {
        for k in part {
            let o = order[k] as usize;
            // SAFETY: as above.
            unsafe {
                if buffered(k, o) {
                    std::ptr::copy_nonoverlapping(h.get().add(j), p.get().add(k), 1);
                    j += 1;
                } else if o > k {
                    std::ptr::copy_nonoverlapping(p.get().add(o), p.get().add(k), 1);
                }
            }
        }
    };
    if !halves {
        pass(0..n, 0);
    } else {
        both(&|| pass(0..mid, 0), &|| pass(mid..n, first));
    }
}

/// The size from which [`permute`] goes over two halves at once.
const TWO_HALVES: usize = 64 << 20;

/// A pointer into a buffer whose parts two threads write apart (see
/// [`permute`]).
struct Shared<T>(*mut T);

// A pointer is copied whatever it points to (derived, these would ask `T`
// to be `Copy`).
impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Shared<T> {}

impl<T> Shared<T> {
    /// The pointer (taken through the whole value, so that a closure
    /// captures the `Send` wrapper, not its field).
    fn get(self) -> *mut T {
        self.0
    }
}

// SAFETY: the elements behind it are `Send`, and the threads that share it
// read and write disjoint elements (see `permute`).
unsafe impl<T: Send> Send for Shared<T> {}
unsafe impl<T: Send> Sync for Shared<T> {}

/// [`permute`] by following the cycles, for when a second buffer cannot be
/// had; `order` is checked to be a permutation by the caller.
fn permute_in_place<T>(v: &mut [T], order: &[u32]) {
    let mut done = vec![false; v.len()];
    let p = v.as_mut_ptr();
    for start in 0..v.len() {
        if done[start] || order[start] as usize == start {
            continue;
        }
        // Each value of the cycle moves once into the hole the last one left
        // (a swap would copy it three times).
        // SAFETY: `order` is a permutation of the indices of `v` (checked by
        // the caller); `held` is the only copy of v[start] while the cycle
        // shifts the others by one, and it is written back into the last
        // hole, so each value ends in one place.
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Faulting a block in from another thread changes none of its contents,
    /// whether or not its pages were touched before.
    #[test]
    fn faulting_in_changes_no_contents() {
        let mut v = vec![0u64; 3 << 20];
        for (i, x) in v.iter_mut().enumerate().step_by(4096) {
            *x = i as u64;
        }
        let block = FaultIn::of(&v);
        std::thread::scope(|s| {
            s.spawn(move || block.run());
        });
        for (i, x) in v.iter().enumerate() {
            assert_eq!(*x, if i % 4096 == 0 { i as u64 } else { 0 });
        }
        FaultIn::of(&v[..0]).run();
    }

    /// Faulting the spare room in changes nothing the vector holds or will
    /// hold: asked ahead of, behind, and past the room's end, with a partial
    /// first page, and faulting in only what it has not faulted in yet.
    #[test]
    fn prefaulting_changes_no_contents() {
        let mut v: Vec<[u64; 17]> = Vec::with_capacity(3);
        v.extend((0..3u64).map(|i| [i; 17]));
        v.reserve_exact(20_000);
        let mut p = Prefault::spare(&mut v);
        assert_eq!(p.start, v.as_ptr() as usize + 3 * size_of::<[u64; 17]>());
        p.ahead(0);
        assert_eq!(p.next, p.start, "nothing asked, nothing faulted in");
        p.ahead(1_000);
        let reached = p.next;
        assert!(reached > p.start && reached.is_multiple_of(4096));
        p.ahead(10);
        assert_eq!(p.next, reached, "never backwards");
        for i in 3..15_000u64 {
            v.push([i; 17]);
            if i % 1_000 == 0 {
                p.ahead(i as usize + 2_000);
            }
        }
        p.ahead(usize::MAX);
        assert!(p.next <= p.end && p.end - p.next < 4096);
        assert!(v.iter().enumerate().all(|(i, x)| *x == [i as u64; 17]));
    }

    #[test]
    fn the_purge_delay_is_the_option_set() {
        // SAFETY: reading an option is a plain load.
        let default = unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY) };
        assert_eq!(
            default, 1000,
            "mimalloc 3's purge delay defaults to 1000 ms"
        );
    }

    #[test]
    fn a_block_keeps_its_bytes_across_the_two_allocators() {
        let a = Allocator;
        let sizes = [16, SMALL, SMALL + 1, 3 * SMALL, SMALL - 8, 24];
        let layout = Layout::from_size_align(sizes[0], 16).unwrap();
        // SAFETY: every call passes the block's current layout, and the
        // bytes read were written.
        unsafe {
            let mut p = a.alloc(layout);
            assert!(!p.is_null());
            for i in 0..sizes[0] {
                *p.add(i) = i as u8;
            }
            let mut size = sizes[0];
            for &next in &sizes[1..] {
                p = a.realloc(p, Layout::from_size_align(size, 16).unwrap(), next);
                assert!(!p.is_null());
                assert_eq!(p as usize % 16, 0);
                for i in 0..size.min(next) {
                    assert_eq!(*p.add(i), i as u8, "byte {i} after {size} -> {next}");
                }
                for i in size.min(next)..next {
                    *p.add(i) = i as u8;
                }
                size = next;
            }
            a.dealloc(p, Layout::from_size_align(size, 16).unwrap());
            let z = a.alloc_zeroed(Layout::from_size_align(2 * SMALL, 8).unwrap());
            assert!((0..2 * SMALL).all(|i| *z.add(i) == 0));
            a.dealloc(z, Layout::from_size_align(2 * SMALL, 8).unwrap());
        }
    }

    /// Every small layout gets its alignment, whichever of mimalloc's entry
    /// points serves it, and keeps it through a realloc.
    #[test]
    fn small_blocks_are_aligned_as_asked() {
        let a = Allocator;
        let mut held = Vec::new();
        for align in [1, 2, 4, 8, 16, 32, 64] {
            for size in (align..=4096).step_by(align) {
                let layout = Layout::from_size_align(size, align).unwrap();
                // SAFETY: each block is freed with the layout it has.
                unsafe {
                    let p = a.alloc(layout);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "{size} bytes, aligned {align}");
                    let q = a.realloc(p, layout, size + align);
                    assert_eq!(q as usize % align, 0, "{size} -> {} bytes", size + align);
                    let z = a.alloc_zeroed(layout);
                    assert_eq!(z as usize % align, 0);
                    // Kept until the end: the next blocks come from fuller pages.
                    held.push((q, Layout::from_size_align(size + align, align).unwrap()));
                    held.push((z, layout));
                }
            }
        }
        for (p, layout) in held {
            // SAFETY: as above.
            unsafe { a.dealloc(p, layout) }
        }
    }

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
        let mut w: Vec<String> = (0..8).map(|i| i.to_string()).collect();
        permute_in_place(&mut w, &order);
        assert_eq!(w, want);
        // Nothing out of place; and an empty vector.
        let mut v = vec![1, 2, 3];
        permute(&mut v, &[0, 1, 2]);
        assert_eq!(v, [1, 2, 3]);
        permute(&mut Vec::<u8>::new(), &[]);
    }

    proptest::proptest! {
        /// Any permutation, of values that own memory (a value dropped twice
        /// or lost would show): the same as cloning each into its place, in
        /// one pass or two halves; and orders that are a sorted run with
        /// elements moved back or forth.
        #[test]
        fn permute_is_any_permutation(
            shuffle in proptest::collection::vec(proptest::num::u32::ANY, 0..200),
            moves in proptest::collection::vec((0usize..200, 0usize..200), 0..8),
            shuffled in proptest::bool::ANY,
        ) {
            let n = shuffle.len();
            let mut order: Vec<u32> = (0..n as u32).collect();
            if shuffled {
                order.sort_by_key(|&i| shuffle[i as usize]);
            } else if n > 0 {
                for (a, b) in moves {
                    let x = order.remove(a % n);
                    order.insert(b % n, x);
                }
            }
            let v: Vec<String> = (0..n).map(|i| format!("v{i}")).collect();
            let want: Vec<String> = order.iter().map(|&o| v[o as usize].clone()).collect();
            let orders: [Both; 2] = [|a, b| (a(), b()).1, |a, b| (b(), a()).1];
            for (halves, both) in [(false, orders[0]), (true, orders[0]), (true, orders[1])] {
                let mut got = v.clone();
                permute_in_parts(&mut got, &order, halves, both);
                proptest::prop_assert_eq!(&got, &want);
            }
            let mut got = v;
            permute_in_place(&mut got, &order);
            proptest::prop_assert_eq!(got, want);
        }
    }

    #[test]
    #[should_panic(expected = "permutation")]
    fn an_order_that_takes_an_element_twice_is_refused() {
        let mut v: Vec<String> = (0..4).map(|i| i.to_string()).collect();
        permute(&mut v, &[0, 2, 2, 3]);
    }
}
