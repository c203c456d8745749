//! The positional encodings against live PyTorch (`tests/reference/positional.py`): the
//! Annotated Transformer's sinusoidal table, the book's RoPE (`llms_from_scratch.llama3`, with and
//! without Llama 3.1 scaling) and Meta's interleaved RoPE, Hugging Face's T5 buckets and the ALiBi
//! paper's slopes and biases. Every table is compared by the sha256 of its bytes (bit for bit) and
//! by what `print(tensor)` writes; the command line is checked the same way.
//!
//! GPU tests are `#[ignore]`d with the reason (no CUDA here): `cargo test --test positional --
//! --ignored` runs them on a machine with a GPU, where they fail rather than pass without one.

use std::process::{Command, Output};
use std::sync::Mutex;

use serde_json::Value;
use token_embeddings::positional::rope::{self, interleaved_to_halves, DEFAULT_THETA_BASE};
use token_embeddings::positional::{alibi, sinusoidal_table, t5, Llama3Scaling};
use token_embeddings::printing::PyTorchPrint;
use token_embeddings::random::manual_seed;
use token_embeddings::reference::run_script;
use token_embeddings::summary::summarize;
use token_embeddings::tch::{Device, Kind, Tensor};

/// Tests that seed the default generator take turns.
static RNG: Mutex<()> = Mutex::new(());

fn rng() -> std::sync::MutexGuard<'static, ()> {
    RNG.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn pytorch(args: &[&str]) -> Value {
    run_script("positional.py", args, None).unwrap_or_else(|err| panic!("positional.py {}: {err:#}", args.join(" ")))
}

/// Several reference command lines in one Python process (`positional.py batch`), one result each.
fn pytorch_batch(commands: &[Vec<String>]) -> Vec<Value> {
    let stdin = serde_json::to_string(commands).unwrap();
    let result = run_script("positional.py", &["batch"], Some(&stdin))
        .unwrap_or_else(|err| panic!("positional.py batch: {err:#}"));
    let results = result["results"].as_array().expect("a results list").clone();
    assert_eq!(results.len(), commands.len());
    results
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// Same shape, dtype and bits as PyTorch's tensor, and printed the same.
fn assert_same(name: &str, ours: &Tensor, theirs: &Value) {
    let summary = summarize(ours).unwrap();
    assert_eq!(serde_json::json!(summary.shape), theirs["shape"], "{name}: shape");
    assert_eq!(summary.dtype, theirs["dtype"], "{name}: dtype");
    assert_eq!(
        summary.sha256, theirs["sha256"],
        "{name}: the bits differ from PyTorch's\nours:  {:?}\ntheirs: {}",
        summary.head, theirs["head"]
    );
    assert_eq!(ours.pytorch().to_string(), theirs["printed"].as_str().unwrap(), "{name}: printed form");
}

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_token-embeddings")).args(args).output().expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The CLI's `--json` equals the reference's summaries for `names`, and its text is PyTorch's
/// printed tensors, one per line, in that order.
fn assert_cli_matches(args: &[&str], reference: &Value, names: &[&str]) {
    let json: Value = serde_json::from_str(&stdout(&cli(&[args, &["--json"]].concat()))).unwrap();
    for name in names {
        for key in ["shape", "dtype", "sha256"] {
            assert_eq!(json[name][key], reference[name][key], "{}: {name}.{key}", args.join(" "));
        }
    }
    let printed: String =
        names.iter().map(|name| format!("{}\n", reference[name]["printed"].as_str().unwrap())).collect();
    assert_eq!(stdout(&cli(args)), printed, "{}", args.join(" "));
}

fn assert_fails(args: &[&str], needle: &str) {
    let output = cli(args);
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{}: {err}", args.join(" "));
    assert!(err.starts_with("error: ") && err.contains(needle), "{}: expected {needle:?} in {err}", args.join(" "));
    assert!(!err.contains("panicked"), "{err}");
}

// ── Sinusoidal ──────────────────────────────────────────────────────────────────────────────

#[test]
fn sinusoidal_equals_the_annotated_transformer() {
    let cases = [(4, 6), (50, 256), (2048, 512), (7, 2)];
    let commands: Vec<Vec<String>> = cases
        .iter()
        .map(|(n, d)| strings(&["sinusoidal", "--context-length", &n.to_string(), "--dim", &d.to_string()]))
        .collect();
    for ((n, d), reference) in cases.into_iter().zip(pytorch_batch(&commands)) {
        assert_same(&format!("pe {n}x{d}"), &sinusoidal_table(n, d, Device::Cpu).unwrap(), &reference["pe"]);
    }
}

// ── RoPE ────────────────────────────────────────────────────────────────────────────────────

#[test]
fn rope_params_equal_the_books() {
    // (reference arguments, head_dim, theta_base, context_length, scaling)
    type Case<'a> = (&'a [&'a str], i64, f64, i64, Option<Llama3Scaling>);
    let cases: [Case; 4] = [
        (&["--context-length", "5", "--head-dim", "16"], 16, DEFAULT_THETA_BASE, 5, None),
        (&["--context-length", "1024", "--head-dim", "64", "--theta-base", "10000.5"], 64, 10000.5, 1024, None),
        (
            &[
                "--context-length",
                "8192",
                "--head-dim",
                "128",
                "--theta-base",
                "500000",
                "--llama3-scaling",
                "8,1,4,8192",
            ],
            128,
            500_000.0,
            8192,
            Some(Llama3Scaling::LLAMA_3_1),
        ),
        (
            // Llama 3.2's factor, and an original context whose thresholds fall between frequencies
            &[
                "--context-length",
                "300",
                "--head-dim",
                "64",
                "--theta-base",
                "500000",
                "--llama3-scaling",
                "32,1.5,4,2048",
            ],
            64,
            500_000.0,
            300,
            Some(Llama3Scaling {
                factor: 32.0,
                low_freq_factor: 1.5,
                high_freq_factor: 4.0,
                original_context_length: 2048,
            }),
        ),
    ];
    let commands: Vec<Vec<String>> =
        cases.iter().map(|(args, ..)| strings(&[&["rope-params"], *args].concat())).collect();
    for ((args, head_dim, theta, n, scaling), reference) in cases.into_iter().zip(pytorch_batch(&commands)) {
        let (cos, sin) = rope::compute_rope_params(head_dim, theta, n, scaling.as_ref(), Device::Cpu).unwrap();
        assert_same(&format!("cos {args:?}"), &cos, &reference["cos"]);
        assert_same(&format!("sin {args:?}"), &sin, &reference["sin"]);
    }
}

#[test]
fn llama3_scaling_changes_only_the_low_frequencies() {
    let plain = rope::inverse_frequencies(128, 500_000.0, None, Device::Cpu).unwrap();
    let scaled = rope::inverse_frequencies(128, 500_000.0, Some(&Llama3Scaling::LLAMA_3_1), Device::Cpu).unwrap();
    let (plain, scaled) = (Vec::<f32>::try_from(&plain).unwrap(), Vec::<f32>::try_from(&scaled).unwrap());
    // High frequencies (short wavelengths, below 8192 / 4 positions) are kept exactly.
    assert_eq!(plain[..20], scaled[..20]);
    // The lowest frequency (wavelength far beyond 8192) is divided by the factor.
    assert_eq!(scaled[63], plain[63] / 8.0);
}

#[test]
fn rope_command_equals_the_books_example() {
    // The book's example: torch.manual_seed(123), queries and keys of shape (2, 4, 5, 16).
    let cases: Vec<Vec<&str>> = [&[][..], &["--theta-base", "500000", "--llama3-scaling", "8,1,4,8192"][..]]
        .iter()
        .map(|extra| [&["rope", "--seed", "123", "--shape", "2,4,5,16"][..], extra].concat())
        .collect();
    let commands: Vec<Vec<String>> = cases.iter().map(|args| strings(args)).collect();
    for (args, reference) in cases.iter().zip(pytorch_batch(&commands)) {
        assert_cli_matches(args, &reference, &["queries_rot", "keys_rot"]);
    }
}

#[test]
fn rope_command_output_snapshot() {
    // Accepted after rope_command_equals_the_books_example showed this text is PyTorch's print.
    let text = stdout(&cli(&["rope", "--seed", "123", "--shape", "1,1,3,4"]));
    let reference = pytorch(&["rope", "--seed", "123", "--shape", "1,1,3,4"]);
    let expected = format!(
        "{}\n{}\n",
        reference["queries_rot"]["printed"].as_str().unwrap(),
        reference["keys_rot"]["printed"].as_str().unwrap()
    );
    assert_eq!(text, expected);
    insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("cli_rope_seed_123_1x1x3x4", text);
    });
}

/// Queries and keys of shape (2, 4, 6, head_dim) from seed 123, float32.
fn random_qk(head_dim: i64) -> (Tensor, Tensor) {
    let _rng = rng();
    manual_seed(123);
    let q = Tensor::randn([2, 4, 6, head_dim], (Kind::Float, Device::Cpu));
    let k = Tensor::randn([2, 4, 6, head_dim], (Kind::Float, Device::Cpu));
    (q, k)
}

#[test]
fn interleaved_layout_is_the_books_after_permuting_dimensions() {
    let (x, _) = random_qk(16);
    let perm = Tensor::from_slice(&interleaved_to_halves(16));
    let (cos_h, sin_h) = rope::compute_rope_params(16, DEFAULT_THETA_BASE, 6, None, Device::Cpu).unwrap();
    let (cos_i, sin_i) = rope::compute_rope_params_interleaved(16, DEFAULT_THETA_BASE, 6, None, Device::Cpu).unwrap();
    // The tables are the same columns, permuted.
    assert!(cos_i.index_select(1, &perm).equal(&cos_h));
    assert!(sin_i.index_select(1, &perm).equal(&sin_h));
    let halves = rope::apply_rope(&x.index_select(3, &perm), &cos_h, &sin_h).unwrap();
    let interleaved = rope::apply_rope_interleaved(&x, &cos_i, &sin_i).unwrap();
    assert!(interleaved.index_select(3, &perm).equal(&halves), "the two layouts disagree after permuting");
    // Without the permutation they are different functions: the confusion of the book's issues 751 and 838.
    assert!(!rope::apply_rope(&x, &cos_h, &sin_h).unwrap().allclose(&interleaved, 1e-3, 1e-3, false));
}

#[test]
fn rope_command_interleaved_layout_is_the_books_rotation_of_permuted_inputs() {
    // `rope --layout interleaved`, with its coordinates put in split-halves order, is the book's
    // apply_rope on the same draws with the same permutation.
    let json: Value = serde_json::from_str(&stdout(&cli(&[
        "rope",
        "--seed",
        "123",
        "--shape",
        "2,4,5,16",
        "--layout",
        "interleaved",
        "--json",
    ])))
    .unwrap();
    let perm = Tensor::from_slice(&interleaved_to_halves(16));
    let (cos, sin) = rope::compute_rope_params(16, DEFAULT_THETA_BASE, 5, None, Device::Cpu).unwrap();
    let _rng = rng();
    manual_seed(123);
    let queries = Tensor::randn([2, 4, 5, 16], (Kind::Float, Device::Cpu));
    let keys = Tensor::randn([2, 4, 5, 16], (Kind::Float, Device::Cpu));
    for (name, x) in [("queries_rot", &queries), ("keys_rot", &keys)] {
        let book = rope::apply_rope(&x.index_select(3, &perm), &cos, &sin).unwrap();
        // Undo the permutation on the book's result to get the interleaved order.
        let inverse = perm.argsort(0, false);
        let expected = summarize(&book.index_select(3, &inverse)).unwrap();
        assert_eq!(json[name]["sha256"], expected.sha256, "{name}");
    }
}

#[test]
fn interleaved_layout_equals_metas_code_to_float_rounding() {
    // Meta's apply_rotary_emb multiplies complex numbers with tables from torch.polar, whose
    // cos/sin round differently from torch.cos/torch.sin for some angles: not the same bits, the
    // same rotation to within a few float32 ulps.
    let reference = pytorch(&["meta-rope", "--seed", "123", "--shape", "2,4,64,128", "--theta-base", "10000"]);
    let _rng = rng();
    manual_seed(123);
    let q = Tensor::randn([2, 4, 64, 128], (Kind::Float, Device::Cpu));
    let (cos, sin) = rope::compute_rope_params_interleaved(128, DEFAULT_THETA_BASE, 64, None, Device::Cpu).unwrap();
    let ours = Vec::<f32>::try_from(rope::apply_rope_interleaved(&q, &cos, &sin).unwrap().flatten(0, -1)).unwrap();
    let meta: Vec<f64> =
        reference["queries_rot_values"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(ours.len(), meta.len());
    let mut same_bits = 0;
    for (a, b) in ours.iter().zip(&meta) {
        let b = *b as f32; // the JSON holds float32 values exactly
        same_bits += usize::from(a.to_bits() == b.to_bits());
        assert!((a - b).abs() <= 4.0 * f32::EPSILON * a.abs().max(b.abs()).max(1.0), "ours {a} Meta's {b}");
    }
    // Most values are the same bits; the rest differ in the last place or two.
    eprintln!("interleaved RoPE vs Meta's code: {same_bits} of {} values bit-equal", ours.len());
    assert!(same_bits * 2 > ours.len(), "only {same_bits} of {} values are bit-equal to Meta's", ours.len());
}

#[test]
fn score_of_two_rotated_vectors_depends_only_on_their_distance() {
    // One query vector and one key vector, placed at every pair of positions (m, n) of 0..32.
    let (q, k) = random_qk(64);
    let q = q.get(0).get(0).get(0); // [64]
    let k = k.get(0).get(0).get(0);
    let n = 32;
    let (cos, sin) = rope::compute_rope_params(64, DEFAULT_THETA_BASE, n, None, Device::Cpu).unwrap();
    let rotate_everywhere = |v: &Tensor| {
        let x = v.view([1, 1, 1, 64]).expand([1, 1, n, 64], false).contiguous();
        rope::apply_rope(&x, &cos, &sin).unwrap().view([n, 64]).to_kind(Kind::Double)
    };
    let scores = rotate_everywhere(&q).matmul(&rotate_everywhere(&k).tr()); // scores[m, n]
    let scores = Vec::<Vec<f64>>::try_from(&scores).unwrap();
    for distance in -(n - 1)..n {
        let along: Vec<f64> = (0..n)
            .filter(|&m| (0..n).contains(&(m - distance)))
            .map(|m| scores[m as usize][(m - distance) as usize])
            .collect();
        let spread = along.iter().cloned().fold(f64::MIN, f64::max) - along.iter().cloned().fold(f64::MAX, f64::min);
        // float32 tables: cos² + sin² = 1 only to about 1e-7, so equal to ~1e-5 of the score's size.
        assert!(spread < 2e-5 * 64.0, "distance {distance}: scores {along:?}");
    }
    // ... and the distance matters: the score at distance 0 is not the score at distance 10.
    assert!((scores[0][0] - scores[10][0]).abs() > 1e-2);
}

// ── T5 ──────────────────────────────────────────────────────────────────────────────────────

#[test]
fn t5_buckets_equal_hugging_faces() {
    let cases: [(i64, i64, bool, i64, i64); 5] = [
        (3, 5, true, 32, 128),
        (300, 300, true, 32, 128),
        (300, 300, false, 32, 128),
        (40, 700, true, 8, 20),
        (64, 64, false, 5, 9),
    ];
    let commands: Vec<Vec<String>> = cases
        .iter()
        .map(|(q, k, bidirectional, buckets, max_distance)| {
            let numbers = [q, k, buckets, max_distance].map(|n| n.to_string());
            let [q, k, buckets, max_distance] = numbers.each_ref().map(String::as_str);
            strings(&[
                "t5",
                "--query-length",
                q,
                "--key-length",
                k,
                "--bidirectional",
                &bidirectional.to_string(),
                "--num-buckets",
                buckets,
                "--max-distance",
                max_distance,
            ])
        })
        .collect();
    for ((q, k, bidirectional, buckets, max_distance), reference) in cases.into_iter().zip(pytorch_batch(&commands)) {
        let ours = t5::t5_buckets(q, k, bidirectional, buckets, max_distance, Device::Cpu).unwrap();
        assert_same(&format!("t5 {q}x{k} {bidirectional} {buckets} {max_distance}"), &ours, &reference["buckets"]);
    }
}

// ── ALiBi ───────────────────────────────────────────────────────────────────────────────────

#[test]
fn alibi_slopes_and_biases_equal_the_papers() {
    let heads_list = [1, 2, 3, 5, 6, 8, 12, 16, 20, 24, 32, 40, 64, 96];
    let commands: Vec<Vec<String>> =
        heads_list.iter().map(|h| strings(&["alibi", "--heads", &h.to_string(), "--context-length", "7"])).collect();
    for (heads, reference) in heads_list.into_iter().zip(pytorch_batch(&commands)) {
        let slopes: Vec<f64> =
            reference["get_slopes"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        let ours = alibi::get_slopes(heads).unwrap();
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&ours), bits(&slopes), "get_slopes({heads})");
        assert_same(
            &format!("slopes {heads}"),
            &alibi::alibi_slopes(heads, Device::Cpu).unwrap(),
            &reference["slopes"],
        );
        assert_same(&format!("bias {heads}"), &alibi::alibi_bias(heads, 7, Device::Cpu).unwrap(), &reference["bias"]);
    }
}

// ── The positions command ───────────────────────────────────────────────────────────────────

#[test]
fn positions_command_prints_what_pytorch_prints() {
    let cases: [(&[&str], &[&str]); 6] = [
        (&["sinusoidal", "--context-length", "6", "--dim", "8"], &["pe"]),
        (&["sinusoidal", "--context-length", "300", "--dim", "16"], &["pe"]), // summarised past 1000 values
        (
            &[
                "rope",
                "--context-length",
                "4",
                "--head-dim",
                "8",
                "--theta-base",
                "500000",
                "--llama3-scaling",
                "8,1,4,8192",
            ],
            &["cos", "sin"],
        ),
        (
            &[
                "t5",
                "--query-length",
                "4",
                "--key-length",
                "6",
                "--bidirectional",
                "false",
                "--num-buckets",
                "8",
                "--max-distance",
                "16",
            ],
            &["buckets"],
        ),
        (&["t5", "--query-length", "5", "--key-length", "5"], &["buckets"]),
        (&["alibi", "--heads", "3", "--context-length", "4"], &["bias"]),
    ];
    let commands: Vec<Vec<String>> = cases
        .iter()
        .map(|(args, _)| {
            strings(&[&[if args[0] == "rope" { "rope-params" } else { args[0] }][..], &args[1..]].concat())
        })
        .collect();
    let references = pytorch_batch(&commands);
    for ((args, names), reference) in cases.iter().zip(&references) {
        let cli_args = [&["positions", "--scheme"][..], args].concat();
        assert_cli_matches(&cli_args, reference, names);
    }
    let reference = &references[5]; // alibi --heads 3 --context-length 4
    let json: Value = serde_json::from_str(&stdout(&cli(&[
        "positions",
        "--scheme",
        "alibi",
        "--heads",
        "3",
        "--context-length",
        "4",
        "--json",
    ])))
    .unwrap();
    assert_eq!(json["slopes"]["sha256"], reference["slopes"]["sha256"]);
}

#[test]
fn positions_command_outputs_snapshot() {
    // Each text was compared with PyTorch's print in positions_command_prints_what_pytorch_prints.
    let mut text = String::new();
    let cases = [
        &["--scheme", "sinusoidal", "--context-length", "4", "--dim", "6"][..],
        &["--scheme", "rope", "--context-length", "3", "--head-dim", "4"][..],
        &["--scheme", "t5", "--query-length", "3", "--key-length", "5"][..],
        &["--scheme", "alibi", "--heads", "2", "--context-length", "3"][..],
    ];
    let commands: Vec<Vec<String>> = cases
        .iter()
        .map(|args| {
            strings(
                &[
                    &[match args[1] {
                        "rope" => "rope-params",
                        other => other,
                    }][..],
                    &args[2..],
                ]
                .concat(),
            )
        })
        .collect();
    for (args, reference) in cases.into_iter().zip(pytorch_batch(&commands)) {
        let out = stdout(&cli(&[&["positions"][..], args].concat()));
        let expected: String = ["pe", "cos", "sin", "buckets", "bias"]
            .iter()
            .filter_map(|name| reference[name]["printed"].as_str().map(|p| format!("{p}\n")))
            .collect();
        assert_eq!(out, expected, "{args:?}");
        text.push_str(&format!("$ token-embeddings positions {}\n{out}\n", args.join(" ")));
    }
    insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("cli_positions_small", text);
    });
}

#[test]
fn bad_positions_input_is_one_clear_line() {
    assert_fails(&["positions", "--scheme", "sinusoidal", "--context-length", "4", "--dim", "5"], "even dimension");
    assert_fails(&["positions", "--scheme", "rope", "--context-length", "4", "--head-dim", "7"], "even head dimension");
    assert_fails(
        &["positions", "--scheme", "rope", "--context-length", "4", "--head-dim", "8", "--theta-base", "0"],
        "theta_base",
    );
    assert_fails(
        &[
            "positions",
            "--scheme",
            "rope",
            "--context-length",
            "4",
            "--head-dim",
            "8",
            "--llama3-scaling",
            "8,4,1,8192",
        ],
        "low_freq_factor < high_freq_factor",
    );
    assert_fails(
        &["positions", "--scheme", "t5", "--query-length", "3", "--key-length", "3", "--num-buckets", "2"],
        "num_buckets >= 4",
    );
    // Missing or inapplicable options and sizes below 1 are usage errors (status 64): tests/cli.rs.
    assert_fails(&["rope", "--seed", "1", "--shape", "2,4,5,15"], "even head dimension");
    // A malformed scaling is a usage error (status 64, as every command line that does not
    // parse), still one clear line.
    let output =
        cli(&["positions", "--scheme", "rope", "--context-length", "4", "--head-dim", "8", "--llama3-scaling", "8,1"]);
    assert_eq!(output.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("FACTOR,LOW,HIGH,ORIGINAL_CONTEXT"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn cuda_without_a_gpu_is_a_clear_error() {
    if token_embeddings::tch::Cuda::is_available() {
        return; // the GPU tests below cover this machine
    }
    assert_fails(
        &["positions", "--scheme", "alibi", "--heads", "2", "--context-length", "3", "--device", "cuda"],
        "CUDA device 0 is not available",
    );
    assert_fails(&["rope", "--shape", "1,1,2,4", "--device", "cuda"], "CUDA device 0 is not available");
}

// ── CUDA ────────────────────────────────────────────────────────────────────────────────────

fn require_gpu() {
    assert!(token_embeddings::tch::Cuda::is_available(), "this test needs a CUDA GPU and there is none here");
}

#[test]
#[ignore = "needs a CUDA GPU: run with `-- --ignored` on a machine with one"]
fn cuda_tables_equal_pytorchs_cuda_tables() {
    require_gpu();
    let cases: [(&[&str], &[&str]); 5] = [
        (&["sinusoidal", "--context-length", "2048", "--dim", "512"], &["pe"]),
        (
            &[
                "rope",
                "--context-length",
                "8192",
                "--head-dim",
                "128",
                "--theta-base",
                "500000",
                "--llama3-scaling",
                "8,1,4,8192",
            ],
            &["cos", "sin"],
        ),
        (&["t5", "--query-length", "300", "--key-length", "300"], &["buckets"]),
        (&["t5", "--query-length", "300", "--key-length", "300", "--bidirectional", "false"], &["buckets"]),
        (&["alibi", "--heads", "12", "--context-length", "64"], &["bias"]),
    ];
    let commands: Vec<Vec<String>> = cases
        .iter()
        .map(|(args, _)| {
            strings(
                &[&[if args[0] == "rope" { "rope-params" } else { args[0] }][..], &args[1..], &["--device", "cuda"]]
                    .concat(),
            )
        })
        .collect();
    for ((args, names), reference) in cases.into_iter().zip(pytorch_batch(&commands)) {
        let cli_args = [&["positions", "--scheme"][..], args, &["--device", "cuda"]].concat();
        let json: Value = serde_json::from_str(&stdout(&cli(&[&cli_args[..], &["--json"]].concat()))).unwrap();
        for name in names {
            assert_eq!(json[name]["sha256"], reference[name]["sha256"], "{args:?} {name}");
        }
    }
}

#[test]
#[ignore = "needs a CUDA GPU: run with `-- --ignored` on a machine with one"]
fn cuda_rope_equals_pytorchs_cuda_rope() {
    require_gpu();
    let args = ["--seed", "123", "--shape", "2,4,5,16", "--device", "cuda"];
    let reference = pytorch(&[&["rope"][..], &args].concat());
    let json: Value = serde_json::from_str(&stdout(&cli(&[&["rope"][..], &args, &["--json"]].concat()))).unwrap();
    for name in ["queries_rot", "keys_rot"] {
        assert_eq!(json[name]["sha256"], reference[name]["sha256"], "{name}");
    }
}
