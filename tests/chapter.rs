//! One insta snapshot per printed output of the chapter (`snapshots/ch2_<step>.snap`).
//!
//! Every snapshot was accepted only after `token-embeddings compare` showed the same text from
//! the book's code on PyTorch 2.13.0 (and the values agree with
//! ../shared/reference/chapter2-expected.md); the live check runs in `tests/parity.rs`.

use std::sync::OnceLock;

use token_embeddings::tch::Device;
use token_embeddings::walkthrough::{self, Step, THE_VERDICT};

/// The walkthrough runs once per test binary; its steps are shared by the tests below.
fn steps() -> &'static [Step] {
    static STEPS: OnceLock<Vec<Step>> = OnceLock::new();
    STEPS.get_or_init(|| walkthrough::run(THE_VERDICT, Device::Cpu).expect("the walkthrough runs").steps)
}

fn step(name: &str) -> &'static str {
    &steps().iter().find(|s| s.name == name).unwrap_or_else(|| panic!("no step {name}")).text
}

macro_rules! chapter_snapshot {
    ($($test:ident => $step:literal),* $(,)?) => {
        $(
            #[test]
            fn $test() {
                insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
                    insta::assert_snapshot!(concat!("ch2_", $step), step($step));
                });
            }
        )*

        #[test]
        fn every_step_has_a_snapshot() {
            let covered = [$($step),*];
            let names: Vec<&str> = steps().iter().map(|s| s.name).collect();
            assert_eq!(names, covered, "the walkthrough's steps and the snapshot list must agree, in order");
        }
    };
}

chapter_snapshot! {
    raw_text_length_and_start => "raw_text",
    split_into_pieces => "preprocessed",
    vocabulary_first_entries => "vocab",
    simple_v1_encodes => "v1_encode",
    simple_v1_decodes => "v1_decode",
    simple_v1_fails_on_unknown_word => "v1_unknown",
    vocabulary_with_special_tokens => "vocab_with_specials",
    texts_joined_by_endoftext => "v2_text",
    simple_v2_encodes_unknown_as_unk => "v2_encode",
    simple_v2_decodes => "v2_decode",
    gpt2_encodes_with_endoftext => "gpt2_encode",
    gpt2_decodes => "gpt2_decode",
    gpt2_splits_unknown_words => "exercise_2_1",
    gpt2_token_count => "enc_text",
    input_and_target => "x_y",
    context_and_next_token_ids => "context_desired",
    context_and_next_token_text => "context_desired_text",
    first_batch => "first_batch",
    second_batch => "second_batch",
    batch_of_eight_with_stride_four => "batch_stride_4",
    window_counts => "window_counts",
    embedding_weight_seed_123 => "embedding_weight",
    embedding_lookup_of_one_id => "embedding_lookup_one",
    embedding_lookup_of_four_ids => "embedding_lookup_many",
    token_ids_and_shape => "token_ids",
    token_embeddings_shape => "token_embeddings_shape",
    positional_embeddings_shape => "pos_embeddings_shape",
    input_embeddings_shape => "input_embeddings_shape",
}

/// Values straight from the reference sheet, so a snapshot cannot drift from the book unnoticed.
#[test]
fn steps_carry_the_books_numbers() {
    // Exact, since insta trims the trailing space of this step's last line ("...it was no ").
    assert_eq!(
        step("raw_text"),
        "Total number of character: 20479\nI HAD always thought Jack Gisburn rather a cheap genius--though a good fellow enough--so it was no \n"
    );
    assert!(step("preprocessed").ends_with("\n4690\n"));
    assert!(step("vocab").starts_with("1130\n('!', 0)\n('\"', 1)\n(\"'\", 2)\n"));
    assert!(step("vocab").ends_with("('Hermia', 50)\n"));
    assert_eq!(
        step("v1_encode"),
        "[1, 56, 2, 850, 988, 602, 533, 746, 5, 1126, 596, 5, 1, 67, 7, 38, 851, 1108, 754, 793, 7]\n"
    );
    assert_eq!(step("v1_unknown"), "KeyError: 'Hello'\n");
    assert_eq!(step("v2_encode"), "[1131, 5, 355, 1126, 628, 975, 10, 1130, 55, 988, 956, 984, 722, 988, 1131, 7]\n");
    assert_eq!(
        step("gpt2_encode"),
        "[15496, 11, 466, 345, 588, 8887, 30, 220, 50256, 554, 262, 4252, 18250, 8812, 2114, 1659, 617, 34680, 27271, 13]\n"
    );
    assert_eq!(step("enc_text"), "5145\n");
    assert_eq!(step("x_y"), "x: [290, 4920, 2241, 287]\ny:      [4920, 2241, 287, 257]\n");
    assert_eq!(step("first_batch"), "[tensor([[  40,  367, 2885, 1464]]), tensor([[ 367, 2885, 1464, 1807]])]\n");
    assert_eq!(
        step("embedding_weight"),
        "Parameter containing:\ntensor([[ 0.3374, -0.1778, -0.1690],\n        [ 0.9178,  1.5810,  1.3010],\n        [ 1.2753, -0.2010, -0.1606],\n        [-0.4015,  0.9666, -1.1481],\n        [-1.1589,  0.3255, -0.6315],\n        [-2.8400, -0.7849, -1.4096]], requires_grad=True)\n"
    );
    assert_eq!(step("embedding_lookup_one"), "tensor([[-0.4015,  0.9666, -1.1481]], grad_fn=<EmbeddingBackward0>)\n");
    assert_eq!(step("input_embeddings_shape"), "torch.Size([8, 4, 256])\n");
}
