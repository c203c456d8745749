//! The printer against the live PyTorch reference (`tests/reference/printing.py`), text for text:
//! a few hundred generated tensors (every dtype, shapes from 0-dim and empty to summarised, values
//! with nan, ±inf, -0., huge, tiny, integral floats and rounding ties) times option sets, as
//! tensors, parameters, lists and tuples; `set_printoptions` sequences; modules; and the `print`
//! command on `.npy` and `.safetensors` files written by numpy and safetensors.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

use rand_mt::Mt64;
use serde_json::{json, Value};
use token_embeddings::linear::Linear;
use token_embeddings::positional::PositionalEmbedding;
use token_embeddings::printing::{
    get_printoptions, list, printoptions, set_printoptions, tensor_repr_with, tuple, PrintOptions, Profile,
    PyTorchPrint, SetPrintOptions, EVCXR_OPTIONS_VAR,
};
use token_embeddings::reference::run_script;
use token_embeddings::tch::{Device, Kind, Tensor};

/// Tests that read or change the process-wide options hold this.
static PROCESS_OPTIONS: Mutex<()> = Mutex::new(());

/// A generated tensor, and the JSON that makes the same tensor in Python.
struct Spec {
    tensor: Tensor,
    json: Value,
}

const FLOAT_KINDS: [(&str, Kind); 8] = [
    ("float32", Kind::Float),
    ("float64", Kind::Double),
    ("float16", Kind::Half),
    ("bfloat16", Kind::BFloat16),
    ("float8_e4m3fn", Kind::Float8e4m3fn),
    ("float8_e5m2", Kind::Float8e5m2),
    ("float8_e4m3fnuz", Kind::Float8e4m3fnuz),
    ("float8_e5m2fnuz", Kind::Float8e5m2fnuz),
];
const COMPLEX_KINDS: [(&str, Kind); 3] =
    [("complex64", Kind::ComplexFloat), ("complex128", Kind::ComplexDouble), ("complex32", Kind::ComplexHalf)];
const INT_KINDS: [(&str, Kind, i64, i64); 5] = [
    ("int64", Kind::Int64, i64::MIN, i64::MAX),
    ("int32", Kind::Int, i32::MIN as i64, i32::MAX as i64),
    ("int16", Kind::Int16, i16::MIN as i64, i16::MAX as i64),
    ("int8", Kind::Int8, -128, 127),
    ("uint8", Kind::Uint8, 0, 255),
];

const SHAPES: &[&[i64]] = &[
    &[],
    &[0],
    &[0, 3],
    &[2, 0, 4],
    &[1],
    &[1, 1],
    &[5],
    &[7],
    &[3, 4],
    &[4, 3],
    &[2, 3, 4],
    &[2, 1, 3, 2],
    &[1, 1, 1, 1],
    &[13, 7],
    &[25],
    &[1001],
    &[1500],
    &[40, 30],
    &[3, 400],
    &[11, 10, 11],
    &[2, 2, 2, 2, 2, 2, 2, 2, 2, 2],
];

/// Numbers that make the formatter change its mind: specials, extremes, boundaries of sci_mode.
const SPECIAL: &[f64] = &[
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    -0.0,
    0.0,
    1e30,
    -3.4e38,
    1e300,
    1e-30,
    1.4e-45,
    5e-324,
    1e8,
    1.0000001e8,
    123456.789,
    1e-4,
    9.99e-5,
    0.5,
    0.125,
    0.03125,
    2.5,
    -1.0,
    1000.0,
];

struct Gen(Mt64);

impl Gen {
    fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        (self.0.next_u64() % n as u64) as usize
    }

    fn int(&mut self, lo: i64, hi: i64) -> i64 {
        let span = (hi as i128 - lo as i128 + 1) as u128;
        (lo as i128 + (self.0.next_u64() as u128 % span) as i128) as i64
    }

    /// One float of a family of values.
    fn float(&mut self, family: usize) -> f64 {
        let sign = if self.unit() < 0.5 { -1.0 } else { 1.0 };
        match family {
            // about normal, at three scales
            0 => (self.unit() + self.unit() + self.unit() - 1.5) * 2.0 * [1.0, 0.01, 100.0][self.below(3)],
            // integral
            1 => self.int(-50, 50) as f64,
            2 => self.int(-2_000_000, 2_000_000) as f64,
            // specials among ordinary values
            3 => {
                if self.unit() < 0.4 {
                    SPECIAL[self.below(SPECIAL.len())]
                } else {
                    self.float(0)
                }
            }
            // exact rounding ties at precision 2, 3 and 4
            4 => self.int(-200, 200) as f64 / [8.0, 16.0, 32.0][self.below(3)],
            // magnitudes from 1e-6 to 1e10
            5 => sign * 10f64.powf(self.unit() * 16.0 - 6.0),
            // zeros of both signs and non-finite values only
            6 => [0.0, -0.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY][self.below(5)],
            // tiny and huge together
            _ => sign * [1e-20, 3e-8, 7e12, 1e25][self.below(4)] * (1.0 + self.unit()),
        }
    }
}

fn number(x: f64) -> Value {
    if x.is_nan() {
        json!("nan")
    } else if x.is_infinite() {
        json!(if x > 0.0 { "inf" } else { "-inf" })
    } else {
        json!(x)
    }
}

/// The values a tensor really holds (after rounding to its dtype), flattened, as f64.
fn held(tensor: &Tensor) -> Vec<f64> {
    Vec::<f64>::try_from(tensor.to_kind(Kind::Double).reshape([-1])).unwrap()
}

fn generate(g: &mut Gen, index: usize) -> Spec {
    let shape = SHAPES[index % SHAPES.len()].to_vec();
    let numel: i64 = shape.iter().product();
    let n = numel as usize;
    let family = g.below(8);
    // float32 most often, then every other dtype in turn
    let (dtype, tensor, values) = match index % 11 {
        0..=3 | 9 => {
            let (name, kind) =
                if index % 11 == 9 { FLOAT_KINDS[1 + (index / 11) % (FLOAT_KINDS.len() - 1)] } else { FLOAT_KINDS[0] };
            let raw: Vec<f64> = (0..n).map(|_| g.float(family)).collect();
            let tensor = Tensor::from_slice(&raw).to_kind(kind).reshape(&shape);
            let values = held(&tensor).into_iter().map(number).collect::<Vec<_>>();
            (name, tensor, values)
        }
        4 | 5 => {
            let (name, kind, lo, hi) = INT_KINDS[(index / 11 * 2 + index % 11) % INT_KINDS.len()];
            let (lo, hi) = match family {
                0 | 1 => (lo.max(-9), hi.min(9)),
                2 | 3 => (lo.max(-1000), hi.min(1000)),
                _ => (lo, hi),
            };
            let raw: Vec<i64> =
                (0..n).map(|_| if g.unit() < 0.05 { [lo, hi][g.below(2)] } else { g.int(lo, hi) }).collect();
            let tensor = Tensor::from_slice(&raw).to_kind(kind).reshape(&shape);
            (name, tensor, raw.into_iter().map(|v| json!(v)).collect())
        }
        6 => {
            let raw: Vec<bool> = (0..n).map(|_| g.unit() < 0.5).collect();
            ("bool", Tensor::from_slice(&raw).reshape(&shape), raw.into_iter().map(|v| json!(v)).collect())
        }
        7 | 8 => {
            let (name, kind) = COMPLEX_KINDS[(index / 11) % 3];
            let re: Vec<f64> = (0..n).map(|_| g.float(family)).collect();
            let im_family = if g.unit() < 0.5 { family } else { g.below(8) };
            let im: Vec<f64> = (0..n).map(|_| g.float(im_family)).collect();
            let tensor =
                Tensor::complex(&Tensor::from_slice(&re), &Tensor::from_slice(&im)).to_kind(kind).reshape(&shape);
            let parts = held(&tensor.view_as_real());
            let values = parts.chunks(2).map(|p| json!([number(p[0]), number(p[1])])).collect();
            (name, tensor, values)
        }
        _ => {
            // float32 with a gradient
            let raw: Vec<f64> = (0..n).map(|_| g.float(family)).collect();
            let tensor = Tensor::from_slice(&raw).to_kind(Kind::Float).reshape(&shape);
            let values = held(&tensor).into_iter().map(number).collect::<Vec<_>>();
            let tensor = tensor.set_requires_grad(true);
            return Spec {
                json: json!({"dtype": "float32", "shape": shape, "values": values, "requires_grad": true}),
                tensor,
            };
        }
    };
    Spec { json: json!({"dtype": dtype, "shape": shape, "values": values}), tensor }
}

/// Option sets: `torch.set_printoptions` keyword arguments.
fn option_sets() -> Vec<(Value, SetPrintOptions)> {
    let c = SetPrintOptions::new;
    vec![
        (json!({}), c()),
        (json!({"profile": "short"}), c().profile(Profile::Short)),
        (json!({"profile": "full"}), c().profile(Profile::Full)),
        (json!({"precision": 2}), c().precision(2)),
        (json!({"precision": 0}), c().precision(0)),
        (json!({"precision": 8, "sci_mode": true}), c().precision(8).sci_mode(true)),
        (json!({"sci_mode": false}), c().sci_mode(false)),
        (json!({"sci_mode": true}), c().sci_mode(true)),
        (json!({"threshold": 5, "edgeitems": 2}), c().threshold(5.0).edgeitems(2)),
        (json!({"threshold": 10, "edgeitems": 0}), c().threshold(10.0).edgeitems(0)),
        (json!({"edgeitems": 1, "linewidth": 40}), c().edgeitems(1).linewidth(40)),
        (json!({"linewidth": 20}), c().linewidth(20)),
        (
            json!({"profile": "short", "precision": 6, "linewidth": 120}),
            c().profile(Profile::Short).precision(6).linewidth(120),
        ),
        (json!({"threshold": "inf", "linewidth": 200}), c().threshold(f64::INFINITY).linewidth(200)),
        (json!({"linewidth": 1}), c().linewidth(1)),
        (
            json!({"profile": "full", "sci_mode": true, "threshold": 50}),
            c().profile(Profile::Full).sci_mode(true).threshold(50.0),
        ),
        (json!({"precision": 10}), c().precision(10)),
        (json!({"edgeitems": 5, "threshold": 20}), c().edgeitems(5).threshold(20.0)),
        (json!({"threshold": 0}), c().threshold(0.0)),
    ]
}

enum Form {
    Tensor,
    Parameter,
    List(usize),
    Tuple(usize),
}

#[test]
fn generated_tensors_print_as_pytorch_does() {
    let _lock = PROCESS_OPTIONS.lock().unwrap_or_else(|e| e.into_inner());
    let mut g = Gen(Mt64::new(2026));
    let specs: Vec<Spec> = (0..330).map(|i| generate(&mut g, i)).collect();
    let sets = option_sets();

    // Each tensor under the default options and two more option sets, in turn; every 13th as a
    // parameter, every 17th with the next ones as a list, every 19th as a tuple.
    let mut cases = Vec::new();
    let mut rust = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let floating = spec.tensor.is_floating_point() || spec.tensor.is_complex();
        let form = if i % 13 == 5 && floating {
            Form::Parameter
        } else if i % 17 == 3 && i + 2 < specs.len() {
            Form::List(3)
        } else if i % 19 == 4 && i + 1 < specs.len() {
            Form::Tuple(if i % 2 == 0 { 1 } else { 2 })
        } else {
            Form::Tensor
        };
        // nn.Parameter requires grad.
        let parameter =
            if floating { spec.tensor.detach().copy().set_requires_grad(true) } else { spec.tensor.shallow_clone() };
        for set in [0, 1 + (i * 2) % (sets.len() - 1), 1 + (i * 2 + 1) % (sets.len() - 1)] {
            let (kwargs, call) = &sets[set];
            let mut case = spec.json.clone();
            case["options"] = kwargs.clone();
            let items: Vec<&Tensor> = match form {
                Form::List(k) | Form::Tuple(k) => {
                    case["form"] = json!(if matches!(form, Form::List(_)) { "list" } else { "tuple" });
                    case["items"] = json!(specs[i..i + k].iter().map(|s| s.json.clone()).collect::<Vec<_>>());
                    specs[i..i + k].iter().map(|s| &s.tensor).collect()
                }
                Form::Parameter => {
                    case["form"] = json!("parameter");
                    vec![&spec.tensor]
                }
                Form::Tensor => vec![&spec.tensor],
            };
            // Half of the cases print under a value of options, half inside a scope.
            let print = || match form {
                Form::Tensor => spec.tensor.pytorch().to_string(),
                Form::Parameter => parameter.pytorch_parameter().to_string(),
                Form::List(_) => list(&items).to_string(),
                Form::Tuple(_) => tuple(&items).to_string(),
            };
            let text = if cases.len() % 2 == 0 {
                let options = PrintOptions::DEFAULT.updated(call);
                match form {
                    Form::Tensor => tensor_repr_with(&spec.tensor, &options).unwrap(),
                    Form::Parameter => parameter.pytorch_parameter().with_options(options).to_string(),
                    Form::List(_) => list(&items).with_options(options).to_string(),
                    Form::Tuple(_) => tuple(&items).with_options(options).to_string(),
                }
            } else {
                printoptions(*call, print)
            };
            cases.push(case);
            rust.push(text);
        }
    }

    let result = run_script("printing.py", &["reprs"], Some(&Value::from(cases.clone()).to_string())).unwrap();
    let python = result["texts"].as_array().unwrap();
    assert_eq!(python.len(), rust.len());
    let mut failures = Vec::new();
    for (n, (ours, theirs)) in rust.iter().zip(python).enumerate() {
        let theirs = theirs.as_str().unwrap();
        if ours != theirs {
            let case = &cases[n];
            failures.push(format!(
                "case {n}: {} {} options {}\n--- PyTorch\n{theirs}\n--- ours\n{ours}",
                case["dtype"], case["shape"], case["options"]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} prints differ from PyTorch; the first ones:\n{}",
        failures.len(),
        rust.len(),
        failures.iter().take(8).cloned().collect::<Vec<_>>().join("\n\n")
    );
    assert!(rust.len() >= 900, "{} cases", rust.len());
}

/// Issue 7's "Printing" item, spelled out: every listed shape and value family in every listed dtype.
#[test]
fn issue7_shapes_and_values_print_as_pytorch_does() {
    let shapes: &[&[i64]] = &[&[0], &[3, 0], &[1], &[], &[1001], &[32, 40]];
    let floats = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, 3.0e38, 1e-38, 7.0, -2.0, 0.1];
    let mut cases = Vec::new();
    let mut rust = Vec::new();
    for shape in shapes {
        let n: i64 = shape.iter().product();
        for (name, kind) in [
            ("float32", Kind::Float),
            ("float64", Kind::Double),
            ("int64", Kind::Int64),
            ("int32", Kind::Int),
            ("bool", Kind::Bool),
        ] {
            let raw: Vec<f64> = (0..n as usize).map(|i| floats[(i * 7 + n as usize) % floats.len()]).collect();
            let (tensor, values): (Tensor, Vec<Value>) = match kind {
                Kind::Float | Kind::Double => {
                    let t = Tensor::from_slice(&raw).to_kind(kind).reshape(*shape);
                    let v = held(&t).into_iter().map(number).collect();
                    (t, v)
                }
                Kind::Bool => {
                    let b: Vec<bool> = raw.iter().map(|x| *x > 0.0).collect();
                    (Tensor::from_slice(&b).reshape(*shape), b.into_iter().map(|x| json!(x)).collect())
                }
                _ => {
                    let i: Vec<i64> = (0..n).map(|k| (k * 7919) % 20011 - 10000).collect();
                    (Tensor::from_slice(&i).to_kind(kind).reshape(*shape), i.into_iter().map(|x| json!(x)).collect())
                }
            };
            for (kwargs, call) in [
                (json!({}), SetPrintOptions::new()),
                (json!({"profile": "short"}), SetPrintOptions::new().profile(Profile::Short)),
            ] {
                cases.push(json!({"dtype": name, "shape": shape, "values": values, "options": kwargs}));
                rust.push(tensor_repr_with(&tensor, &PrintOptions::DEFAULT.updated(&call)).unwrap());
            }
        }
    }
    let result = run_script("printing.py", &["reprs"], Some(&Value::from(cases).to_string())).unwrap();
    let python: Vec<&str> = result["texts"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
    assert_eq!(rust.len(), python.len());
    for (ours, theirs) in rust.iter().zip(python) {
        assert_eq!(ours, theirs);
    }
}

/// `torch.set_printoptions` call sequences (profiles, explicit values, sci_mode reset) leave the
/// same options as in Python.
#[test]
fn set_printoptions_sequences_leave_what_python_leaves() {
    let c = SetPrintOptions::new;
    let sequences: Vec<(Value, Vec<SetPrintOptions>)> = vec![
        (json!([{"precision": 2}]), vec![c().precision(2)]),
        (json!([{"sci_mode": true}, {"precision": 6}]), vec![c().sci_mode(true), c().precision(6)]),
        (json!([{"profile": "short", "precision": 6}]), vec![c().profile(Profile::Short).precision(6)]),
        (json!([{"edgeitems": 1}, {"profile": "full"}]), vec![c().edgeitems(1), c().profile(Profile::Full)]),
        (
            json!([{"profile": "full", "threshold": 10, "sci_mode": false}]),
            vec![c().profile(Profile::Full).threshold(10.0).sci_mode(false)],
        ),
        (json!([{"linewidth": 10, "sci_mode": true}, {}]), vec![c().linewidth(10).sci_mode(true), c()]),
        (
            json!([{"profile": "short"}, {"profile": "default"}]),
            vec![c().profile(Profile::Short), c().profile(Profile::Default)],
        ),
    ];
    let calls: Vec<Value> = sequences.iter().map(|(calls, _)| calls.clone()).collect();
    let result = run_script("printing.py", &["options"], Some(&Value::from(calls).to_string())).unwrap();
    for ((_, calls), python) in sequences.iter().zip(result["options"].as_array().unwrap()) {
        let ours = calls.iter().fold(PrintOptions::DEFAULT, |options, call| options.updated(call));
        let threshold = match &python["threshold"] {
            Value::String(s) if s == "inf" => f64::INFINITY,
            other => other.as_f64().unwrap(),
        };
        let theirs = PrintOptions {
            precision: python["precision"].as_u64().unwrap() as usize,
            threshold,
            edgeitems: python["edgeitems"].as_u64().unwrap() as usize,
            linewidth: python["linewidth"].as_u64().unwrap() as usize,
            sci_mode: python["sci_mode"].as_bool(),
        };
        assert_eq!(ours, theirs, "after {calls:?}");
    }
}

/// The process-wide setter changes what every later print shows; a scope on this thread wins over
/// it and ends with the closure; a call inside a scope is undone with the scope.
#[test]
fn process_wide_options_and_scopes() {
    let _lock = PROCESS_OPTIONS.lock().unwrap_or_else(|e| e.into_inner());
    let t = Tensor::from_slice(&[1.12345f32, 2.5]);
    assert_eq!(t.pytorch().to_string(), "tensor([1.1235, 2.5000])");
    set_printoptions(SetPrintOptions::new().precision(2)).unwrap();
    assert_eq!(t.pytorch().to_string(), "tensor([1.12, 2.50])");
    let in_scope = printoptions(SetPrintOptions::new().sci_mode(true), || {
        set_printoptions(SetPrintOptions::new().precision(1).sci_mode(true)).unwrap();
        t.pytorch().to_string()
    });
    assert_eq!(in_scope, "tensor([1.1e+00, 2.5e+00])");
    assert_eq!(get_printoptions(), PrintOptions::DEFAULT.with_precision(2));
    // Another thread sees the process-wide options too.
    let other = std::thread::spawn(|| Tensor::from_slice(&[1.12345f32]).pytorch().to_string()).join().unwrap();
    assert_eq!(other, "tensor([1.12])");
    set_printoptions(SetPrintOptions::new().profile(Profile::Default)).unwrap();
    assert_eq!(get_printoptions(), PrintOptions::DEFAULT);
    // Python takes a nan threshold, and then summarises nothing (numel > nan is False).
    set_printoptions(SetPrintOptions::new().threshold(f64::NAN)).unwrap();
    assert!(!Tensor::arange(2000, (Kind::Int64, Device::Cpu)).pytorch().to_string().contains("..."));
    set_printoptions(SetPrintOptions::new().profile(Profile::Default)).unwrap();
    assert_eq!(get_printoptions(), PrintOptions::DEFAULT);
}

/// evcxr links a copy of the crate into every notebook cell: there the process-wide options live in
/// the environment, so a `set_printoptions` in one cell reaches the prints of the next. Runs itself
/// in a child process that looks like evcxr's runtime (one thread, so changing the environment is safe).
#[test]
fn in_evcxr_process_wide_options_live_in_the_environment() {
    const NAME: &str = "in_evcxr_process_wide_options_live_in_the_environment";
    if std::env::var_os("EVCXR_IS_RUNTIME").is_none() {
        let out = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", NAME, "--test-threads=1"])
            .env("EVCXR_IS_RUNTIME", "1")
            .env_remove(EVCXR_OPTIONS_VAR)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && stdout.contains("1 passed"), "{stdout}");
        return;
    }
    // What this copy sets goes to the environment ...
    set_printoptions(SetPrintOptions::new().precision(2)).unwrap();
    assert_eq!(
        std::env::var(EVCXR_OPTIONS_VAR).unwrap(),
        "precision=2,threshold=1000,edgeitems=3,linewidth=80,sci_mode=None"
    );
    // ... and what another copy left there is what this one prints with.
    std::env::set_var(EVCXR_OPTIONS_VAR, "precision=1,threshold=inf,edgeitems=3,linewidth=80,sci_mode=True");
    assert_eq!(Tensor::from_slice(&[1.25f32]).pytorch().to_string(), "tensor([1.2e+00])");
    set_printoptions(SetPrintOptions::new().linewidth(60)).unwrap();
    assert_eq!(get_printoptions(), PrintOptions { precision: 1, linewidth: 60, ..PrintOptions::FULL });
}

#[test]
fn modules_print_as_print_module_does() {
    let linear_no_bias = Linear::new(4, 5, false).unwrap();
    let linear = Linear::new(3, 2, true).unwrap();
    let positions = PositionalEmbedding::new(4, 256).unwrap();
    let cases = json!([
        {"form": "module", "module": "Linear", "in_features": 4, "out_features": 5, "bias": false},
        {"form": "module", "module": "Linear", "in_features": 3, "out_features": 2, "bias": true},
        {"form": "module", "module": "Embedding", "num_embeddings": 4, "embedding_dim": 256},
    ]);
    let result = run_script("printing.py", &["reprs"], Some(&cases.to_string())).unwrap();
    let python: Vec<&str> = result["texts"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
    assert_eq!(vec![linear_no_bias.to_string(), linear.to_string(), positions.to_string()], python);
}

/// `device='cuda:0'` suffixes, on a machine with CUDA: `cargo test --test printing -- --ignored`.
#[test]
#[ignore = "needs a CUDA device"]
fn cuda_tensors_print_with_their_device() {
    assert!(tch::Cuda::is_available(), "no CUDA device");
    let _lock = PROCESS_OPTIONS.lock().unwrap_or_else(|e| e.into_inner());
    let mut g = Gen(Mt64::new(7));
    let specs: Vec<Spec> = (0..44).map(|i| generate(&mut g, i)).collect();
    let sets = option_sets();
    let mut cases = Vec::new();
    let mut rust = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let (kwargs, call) = &sets[i % sets.len()];
        let mut case = spec.json.clone();
        case["device"] = json!("cuda");
        case["options"] = kwargs.clone();
        cases.push(case);
        let on_gpu = spec.tensor.to_device(Device::Cuda(0));
        let on_gpu = if spec.tensor.requires_grad() { on_gpu.detach().set_requires_grad(true) } else { on_gpu };
        rust.push(tensor_repr_with(&on_gpu, &PrintOptions::DEFAULT.updated(call)).unwrap());
    }
    let result = run_script("printing.py", &["reprs"], Some(&Value::from(cases).to_string())).unwrap();
    assert_eq!(result["cuda"], json!(true));
    let python: Vec<&str> = result["texts"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
    for (ours, theirs) in rust.iter().zip(python) {
        assert_eq!(ours, theirs);
    }
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_token-embeddings"))
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("token-embeddings-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `token-embeddings print FILE [flags]` writes what `print(t)` writes after the same
/// `torch.set_printoptions`, for files numpy and safetensors wrote.
#[test]
fn print_command_matches_pytorch_on_tensor_files() {
    let dir = scratch_dir("print");
    let result = run_script("printing.py", &["files", dir.to_str().unwrap()], None).unwrap();
    let mut checked = 0;
    for entry in result["files"].as_array().unwrap() {
        let file = dir.join(entry["file"].as_str().unwrap());
        let flags: Vec<&str> = entry["flags"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
        let texts: Vec<(&str, &str)> = entry["texts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|pair| (pair[0].as_str().unwrap(), pair[1].as_str().unwrap()))
            .collect();
        let single = matches!(texts.as_slice(), [("", _)]);
        let expected: String = if single {
            format!("{}\n", texts[0].1)
        } else {
            texts.iter().map(|(name, text)| format!("{name}\n{text}\n")).collect()
        };
        let out = bin().arg("print").arg(&file).args(&flags).output().unwrap();
        assert!(out.status.success(), "{file:?} {flags:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8(out.stdout).unwrap(), expected, "{file:?} {flags:?}");
        checked += 1;
        if !single && flags.is_empty() {
            // --name picks one tensor.
            for (name, text) in &texts {
                let out = bin().arg("print").arg(&file).args(["--name", name]).args(&flags).output().unwrap();
                assert_eq!(String::from_utf8(out.stdout).unwrap(), format!("{text}\n"));
            }
        }
    }
    // 11 files under the default options, one tensor by --name beside a dtype tch cannot hold,
    // and three files under seven option sets.
    assert_eq!(checked, 11 + 1 + 7 * 3);

    // Files and arguments it refuses, each with one line and status 1.
    let floats = std::fs::read(dir.join("floats.npy")).unwrap();
    std::fs::write(dir.join("truncated.npy"), &floats[..floats.len() - 4]).unwrap();
    std::fs::write(dir.join("garbage.bin"), b"not a tensor file at all").unwrap();
    let model = std::fs::read(dir.join("model.safetensors")).unwrap();
    std::fs::write(dir.join("cut.safetensors"), &model[..model.len() / 2]).unwrap();
    let npy = |header: &str| {
        let mut header = header.as_bytes().to_vec();
        header.resize(118, b' ');
        header.push(b'\n');
        [b"\x93NUMPY\x01\x00\x77\x00".as_slice(), &header].concat()
    };
    std::fs::write(
        dir.join("overflow.npy"),
        npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 2), }"),
    )
    .unwrap();
    std::fs::write(dir.join("badheader.npy"), npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, }")).unwrap();
    let mut refused: Vec<(Vec<String>, &str)> = result["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (vec![dir.join(f.as_str().unwrap()).to_string_lossy().into_owned()], ""))
        .collect();
    let path = |f: &str| dir.join(f).to_string_lossy().into_owned();
    refused.push((vec![path("truncated.npy")], "bytes of data"));
    refused.push((vec![path("overflow.npy")], "too large"));
    refused.push((vec![path("badheader.npy")], "not a Python literal"));
    refused.push((vec![path("garbage.bin")], "not a .npy or .safetensors file"));
    refused.push((vec![path("cut.safetensors")], "not a .npy or .safetensors file"));
    refused.push((vec![path("missing.npy")], "missing.npy: no such file"));
    refused.push((vec![path("uint16.safetensors")], "has dtype U16, which tch cannot hold"));
    refused.push((vec![path("uint16.safetensors")], "--name TENSOR prints one of the others"));
    refused.push((vec![path("model.safetensors"), "--name".into(), "nope".into()], "has no tensor \"nope\""));
    refused.push((vec![path("floats.npy"), "--name".into(), "x".into()], "holds one array"));
    for (args, message) in &refused {
        let out = bin().arg("print").args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: ") && stderr.contains(message), "{args:?}: {stderr}");
    }

    // Piped into a reader that stops early (`| head`), it ends quietly instead of panicking.
    Tensor::randn([300, 1000], (Kind::Float, Device::Cpu)).write_npy(dir.join("large.npy")).unwrap();
    let mut child = bin()
        .arg("print")
        .arg(dir.join("large.npy"))
        .args(["--profile", "full"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 8];
    std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut first).unwrap();
    assert_eq!(&first, b"tensor([");
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}
