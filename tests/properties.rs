//! Properties of the data loader and the embedding lookup on generated inputs (proptest; a failing
//! case is shrunk, printed, and its seed kept in `tests/properties.proptest-regressions`).

use std::collections::BTreeMap;

use proptest::prelude::*;
use token_embeddings::data::{DataLoader, GptDatasetV1, LoaderOptions};
use token_embeddings::embedding::Embedding;
use token_embeddings::tch::{Kind, Tensor};

fn rows(t: &Tensor) -> Vec<Vec<i64>> {
    Vec::<Vec<i64>>::try_from(t).unwrap()
}

/// `len(range(0, n - max_length, stride))`, Python's count of windows.
fn python_range_len(n: usize, max_length: usize, stride: usize) -> usize {
    (n - max_length).div_ceil(stride)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn windows_shift_by_one_and_count_as_pythons_range(
        n in 2_usize..300, max_length in 1_usize..40, stride in 1_usize..40,
    ) {
        prop_assume!(n > max_length);
        // Distinct ids, so that each window is recognisable by its first id.
        let ids: Vec<i64> = (0..n as i64).map(|i| i * 7 + 3).collect();
        let dataset = GptDatasetV1::from_token_ids(ids.clone(), max_length, stride).unwrap();
        prop_assert_eq!(dataset.len(), python_range_len(n, max_length, stride));
        for k in 0..dataset.len() {
            let (input, target) = dataset.window(k);
            prop_assert_eq!(input, &ids[k * stride..k * stride + max_length]);
            prop_assert_eq!(target, &ids[k * stride + 1..k * stride + max_length + 1]);
        }
    }

    #[test]
    fn an_epoch_visits_every_window_once_and_drop_last_drops_only_the_tail(
        n in 2_usize..200, max_length in 1_usize..12, stride in 1_usize..12, batch_size in 1_usize..9,
        shuffle in any::<bool>(), drop_last in any::<bool>(),
    ) {
        prop_assume!(n > max_length);
        let ids: Vec<i64> = (0..n as i64).collect();
        let dataset = GptDatasetV1::from_token_ids(ids, max_length, stride).unwrap();
        let windows = dataset.len();
        let loader = DataLoader::new(dataset, LoaderOptions { batch_size, shuffle, drop_last }).unwrap();
        let mut seen: BTreeMap<i64, usize> = BTreeMap::new();
        let mut sizes = Vec::new();
        for batch in loader.iter().unwrap() {
            let batch = batch.unwrap();
            let (inputs, targets) = (rows(&batch.inputs), rows(&batch.targets));
            sizes.push(inputs.len());
            for (input, target) in inputs.iter().zip(&targets) {
                prop_assert_eq!(&input[1..], &target[..target.len() - 1], "targets are inputs shifted by one");
                prop_assert_eq!(input[0] as usize % stride, 0);
                *seen.entry(input[0]).or_default() += 1;
            }
        }
        prop_assert_eq!(sizes.len(), loader.len());
        prop_assert!(seen.values().all(|&count| count == 1), "a window came twice: {:?}", seen);
        let full = windows / batch_size;
        prop_assert!(sizes[..full.min(sizes.len())].iter().all(|&s| s == batch_size));
        if drop_last {
            prop_assert_eq!(seen.len(), full * batch_size, "exactly the tail is dropped");
            if !shuffle {
                // Without shuffling the dropped windows are the last ones.
                let last_kept = seen.keys().next_back().map(|&first| first as usize / stride);
                prop_assert!(last_kept.is_none_or(|k| k + 1 == full * batch_size));
            }
        } else {
            prop_assert_eq!(seen.len(), windows, "every window, the short last batch included");
        }
    }

    #[test]
    fn lookup_equals_index_select_and_batches_equal_rows(
        vocab in 1_i64..60, dim in 1_i64..9, batch in 1_usize..5, width in 1_usize..7, seed in any::<u64>(),
    ) {
        token_embeddings::random::manual_seed(seed);
        let layer = Embedding::new(vocab, dim).unwrap();
        let mut rng = seed;
        let ids: Vec<i64> = (0..batch * width)
            .map(|_| {
                rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                (rng >> 33) as i64 % vocab
            })
            .collect();
        let flat = Tensor::from_slice(&ids);
        let looked_up = layer.lookup(&ids).unwrap();
        let selected = layer.weight().index_select(0, &flat);
        prop_assert!(looked_up.equal(&selected), "lookup != index_select");
        let matrix = flat.reshape([batch as i64, width as i64]);
        let batched = layer.forward(&matrix).unwrap();
        prop_assert_eq!(batched.size(), vec![batch as i64, width as i64, dim]);
        prop_assert_eq!(batched.kind(), Kind::Float);
        for (r, row) in ids.chunks(width).enumerate() {
            prop_assert!(batched.get(r as i64).equal(&layer.lookup(row).unwrap()), "row {} differs", r);
        }
    }
}

#[test]
fn number_data_splits_on_pythons_white_space() {
    // The bonus's `text.split()` is Python's: U+001C separates numbers too.
    let dataset = GptDatasetV1::from_numbers_text("1\u{1c}2 3\u{85}4", 1, 1).unwrap();
    assert_eq!(dataset.len(), 3);
    assert_eq!(dataset.window(2), (vec![3], vec![4]));
    let err = GptDatasetV1::from_numbers_text("1 2\u{200b}3", 1, 1).unwrap_err().to_string();
    assert!(err.contains("'2\\u200b3' is not an integer token id"), "{err}");
}
