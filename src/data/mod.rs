//! Data sampling with a sliding window (book section 2.6): `GPTDatasetV1`, PyTorch's
//! `DataLoader` and the book's `create_dataloader_v1`, over ids in memory or in a token file.
//!
//! - [`dataset`]: [`GptDatasetV1`], the windows;
//! - [`loader`]: [`DataLoader`], batches in PyTorch's order (the same random draws);
//! - [`token_file`]: [`TokenFile`], a corpus's ids as a flat `uint16` file, memory-mapped;
//! - [`prepare`]: text files to a token file, streaming and in parallel;
//! - [`encode`]: [`encode::Gpt2Encoder`], tiktoken's GPT-2 ids without its regex engine.

pub mod dataset;
pub mod encode;
pub mod loader;
pub mod prepare;
pub mod token_file;

use anyhow::Result;

pub use dataset::GptDatasetV1;
pub use loader::{Batch, Batches, DataLoader, LoaderOptions, PassSummary};
pub use token_file::{TokenDtype, TokenFile, TokenFileInfo};

/// The book's `create_dataloader_v1(txt, batch_size, max_length, stride, shuffle, drop_last)`:
/// GPT-2 token ids of the text, windows, and a loader over them.
pub fn create_dataloader_v1(
    text: &str,
    max_length: usize,
    stride: usize,
    options: LoaderOptions,
) -> Result<DataLoader> {
    DataLoader::new(GptDatasetV1::from_text(text, max_length, stride)?, options)
}

/// The dataloader bonus's text: `"0 1 2 … n "`, every number followed by a space.
pub fn number_text(last: usize) -> String {
    (0..=last).map(|i| format!("{i} ")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random;
    use tch::Tensor;

    fn verdict() -> String {
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/the-verdict.txt")).unwrap()
    }

    fn ids(t: &Tensor) -> Vec<Vec<i64>> {
        Vec::<Vec<i64>>::try_from(t).unwrap()
    }

    #[test]
    fn window_counts_of_the_verdict() {
        let _rng = crate::random::test_lock();
        let text = verdict();
        assert_eq!(GptDatasetV1::from_text(&text, 4, 1).unwrap().len(), 5141);
        assert_eq!(GptDatasetV1::from_text(&text, 4, 4).unwrap().len(), 1286);
        assert_eq!(GptDatasetV1::from_text(&text, 256, 128).unwrap().len(), 39);
    }

    #[test]
    fn first_batches_in_order() {
        let _rng = crate::random::test_lock();
        let options = LoaderOptions { batch_size: 1, shuffle: false, drop_last: true };
        let loader = create_dataloader_v1(&verdict(), 4, 1, options).unwrap();
        let mut batches = loader.iter().unwrap();
        let first = batches.next().unwrap().unwrap();
        assert_eq!(first.to_string(), "[tensor([[  40,  367, 2885, 1464]]), tensor([[ 367, 2885, 1464, 1807]])]");
        let second = batches.next().unwrap().unwrap();
        assert_eq!(second.to_string(), "[tensor([[ 367, 2885, 1464, 1807]]), tensor([[2885, 1464, 1807, 3619]])]");
    }

    #[test]
    fn last_number_batch_without_shuffle() {
        let _rng = crate::random::test_lock();
        let options = LoaderOptions { batch_size: 1, shuffle: false, drop_last: true };
        let dataset = GptDatasetV1::from_numbers_text(&number_text(1000), 4, 1).unwrap();
        let loader = DataLoader::new(dataset, options).unwrap();
        let last = loader.iter().unwrap().last().unwrap().unwrap();
        assert_eq!(last.to_string(), "[tensor([[996, 997, 998, 999]]), tensor([[ 997,  998,  999, 1000]])]");
    }

    #[test]
    fn shuffled_number_data_matches_pytorch() {
        let _rng = crate::random::test_lock();
        // The book's dataloader bonus: torch.manual_seed(123), batch 2, length 4, stride 4.
        random::manual_seed(123);
        let options = LoaderOptions { batch_size: 2, shuffle: true, drop_last: true };
        let dataset = GptDatasetV1::from_numbers_text(&number_text(1000), 4, 4).unwrap();
        let loader = DataLoader::new(dataset, options).unwrap();
        let last = loader.iter().unwrap().last().unwrap().unwrap();
        assert_eq!(ids(&last.inputs), [[880, 881, 882, 883], [112, 113, 114, 115]]);
        assert_eq!(ids(&last.targets), [[881, 882, 883, 884], [113, 114, 115, 116]]);
    }

    #[test]
    fn drop_last_decides_the_short_batch() {
        let _rng = crate::random::test_lock();
        let dataset = GptDatasetV1::from_token_ids((0..12).collect(), 2, 1).unwrap();
        assert_eq!(dataset.len(), 10);
        let keep = DataLoader::new(dataset.clone(), LoaderOptions { batch_size: 4, shuffle: false, drop_last: false })
            .unwrap();
        assert_eq!(keep.len(), 3);
        let sizes: Vec<i64> = keep.iter().unwrap().map(|b| b.unwrap().inputs.size()[0]).collect();
        assert_eq!(sizes, [4, 4, 2]);
        let drop = DataLoader::new(dataset, LoaderOptions { batch_size: 4, shuffle: false, drop_last: true }).unwrap();
        assert_eq!(drop.iter().unwrap().count(), 2);
    }

    #[test]
    fn bad_settings_are_clear_errors() {
        let _rng = crate::random::test_lock();
        let err = GptDatasetV1::from_token_ids(vec![1, 2, 3], 4, 1).unwrap_err();
        assert!(err.to_string().contains("too short"), "{err}");
        assert!(GptDatasetV1::from_token_ids(vec![1, 2, 3], 1, 0).unwrap_err().to_string().contains("stride"));
        assert!(GptDatasetV1::from_text("", 4, 1).unwrap_err().to_string().contains("empty"));
        let dataset = GptDatasetV1::from_token_ids(vec![1, 2, 3], 1, 1).unwrap();
        let options = LoaderOptions { batch_size: 0, shuffle: false, drop_last: false };
        assert!(DataLoader::new(dataset, options).unwrap_err().to_string().contains("batch_size"));
        assert!(GptDatasetV1::from_numbers_text("1 two 3", 1, 1).unwrap_err().to_string().contains("two"));
    }
}
