//! Sorted sets as plain vectors, changed a batch at a time: the postings of a term and the
//! (value, slot) order of a number field. A batch of removals and additions is merged in one
//! pass, O(len + changes), rather than one `Vec::insert` (a memmove of the tail) per change;
//! additions above the largest element (new slots, the common case) are appended.

use crate::sort::heapsort_by;

/// Applies a batch to the sorted, duplicate-free `set`: removes every element of `removes`
/// present, then inserts every element of `adds` absent. Both batches may be unsorted and
/// repeat elements. An element in both ends up present (remove, then add).
pub fn apply<T: Ord + Copy>(set: &mut Vec<T>, mut removes: Vec<T>, mut adds: Vec<T>) {
    heapsort_by(&mut removes, T::cmp);
    heapsort_by(&mut adds, T::cmp);
    adds.dedup();
    if !removes.is_empty() {
        let mut r = removes.iter().peekable();
        set.retain(|x| {
            while r.next_if(|y| *y < x).is_some() {}
            r.peek().is_none_or(|y| *y != x)
        });
    }
    if adds.is_empty() {
        return;
    }
    if set.last().is_none_or(|last| *last < adds[0]) {
        set.extend_from_slice(&adds);
        return;
    }
    let old = core::mem::take(set);
    set.reserve_exact(old.len() + adds.len());
    let (mut a, mut b) = (old.into_iter().peekable(), adds.into_iter().peekable());
    loop {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if x < y => a.next(),
            (Some(x), Some(y)) if x == y => {
                b.next();
                a.next()
            }
            (Some(_), Some(_)) | (None, Some(_)) => b.next(),
            (Some(_), None) => a.next(),
            (None, None) => break,
        };
        set.extend(next);
    }
}

#[cfg(test)]
mod tests {
    use super::apply;

    #[test]
    fn a_batch_equals_the_changes_one_by_one() {
        let mut set = vec![1u32, 4, 6, 9];
        apply(&mut set, vec![9, 4, 7, 4], vec![5, 0, 4, 12, 5]);
        assert_eq!(set, [0, 1, 4, 5, 6, 12]);
        apply(&mut set, vec![], vec![13, 14]);
        assert_eq!(set, [0, 1, 4, 5, 6, 12, 13, 14]);
        apply(&mut set, vec![0, 14, 99], vec![]);
        assert_eq!(set, [1, 4, 5, 6, 12, 13]);
    }
}
