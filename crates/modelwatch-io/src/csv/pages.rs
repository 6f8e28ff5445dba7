//! Page-level memory advice for the parallel reader: the column buffers' pages are mapped in
//! one call before they are written, and the mapped file's pages are dropped once parsed.

/// Maps the whole pages inside `part` (a chunk's rows of one column buffer, about to be
/// written) with one `madvise(MADV_POPULATE_WRITE)` call (Linux 5.14 and later; older
/// kernels refuse it and the pages fault in one by one).
///
/// A buffer's first write to each 4 KiB page is otherwise a page fault of its own, thousands
/// of them per table. Populating a whole range in one call saves the fault entry and exit per
/// page; the kernel still zeroes them. Each chunk populates its own ranges, in the parallel
/// parse, right before writing them. The buffers are not advised for transparent huge pages:
/// on top of this that gains nothing measurable and costs peak memory (figures in
/// docs/performance.md).
pub(super) fn prefault(part: &[f64]) {
    let range = whole_pages(part.as_ptr_range());
    #[cfg(target_os = "linux")]
    if range.end > range.start {
        // SAFETY: the range is whole pages inside `part`, which this process owns and keeps
        // mapped while the call runs. Populating changes nothing `part` holds: its pages read
        // as before (zeros, or their contents). The result is ignored: a refusal changes
        // nothing.
        unsafe {
            libc::madvise(
                range.start as *mut libc::c_void,
                range.end - range.start,
                libc::MADV_POPULATE_WRITE,
            );
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = range;
}

/// The page size the `madvise` ranges are rounded to. Where pages are larger, the kernel
/// refuses ranges that do not start on a page and the advice is skipped, harmlessly.
const PAGE: usize = 4096;

/// The addresses of the whole pages inside `range` (an empty range when there are none).
fn whole_pages<T>(range: std::ops::Range<*const T>) -> std::ops::Range<usize> {
    (range.start as usize).div_ceil(PAGE) * PAGE..range.end as usize / PAGE * PAGE
}

/// Drops the pages wholly inside `part` (a sub-slice of `map`) from this process's mapping once
/// they have been parsed, so that the mapped file does not add its whole size to the peak
/// resident memory on top of the parsed columns. The data stays in the page cache; touching
/// the range again (text columns, error messages) faults it back in from the file unchanged.
pub(super) fn release_pages(map: &memmap2::Mmap, part: &[u8]) {
    #[cfg(unix)]
    {
        // The map starts on a page, so whole pages of `part` sit at whole-page offsets.
        let base = map.as_ptr() as usize;
        let pages = whole_pages(part.as_ptr_range());
        let (start, end) = (
            pages.start.saturating_sub(base),
            pages.end.saturating_sub(base),
        );
        let end = end.min(map.len());
        if end > start {
            // SAFETY: the map is a read-only private file mapping that is never written, so
            // MADV_DONTNEED only discards this process's page table entries; a later read of
            // the range maps the same file contents again (see madvise(2)). No reference sees
            // different bytes, except under the file-changed-underneath caveat noted above.
            let _ = unsafe {
                map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, end - start)
            };
        }
    }
    #[cfg(not(unix))]
    let _ = (map, part);
}
