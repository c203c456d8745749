//! Wires libtorch into everything this package builds.
//!
//! torch-sys (`links = "tch"`) hands its direct dependents the libtorch library folder as
//! `DEP_TCH_LIBTORCH_LIB`. We use it twice: an rpath so that our binaries and tests find
//! `libtorch_cpu.so` at run time without `LD_LIBRARY_PATH` (torch-sys's own rpath does not
//! reach them), and the headers for a tiny C++ shim that reads a tensor's `grad_fn` name.
use std::path::PathBuf;

fn main() {
    let lib = PathBuf::from(
        std::env::var("DEP_TCH_LIBTORCH_LIB")
            .expect("torch-sys did not report libtorch's lib folder; run `make setup` first"),
    );
    let root = lib.parent().expect("libtorch lib folder has a parent").to_path_buf();
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib.display());

    let abi = std::env::var("LIBTORCH_CXX11_ABI").unwrap_or_else(|_| "1".to_owned());
    cc::Build::new()
        .cpp(true)
        .pic(true)
        .warnings(false)
        .include(root.join("include"))
        .include(root.join("include/torch/csrc/api/include"))
        .flag("-std=c++17")
        .flag(format!("-D_GLIBCXX_USE_CXX11_ABI={abi}"))
        .flag("-DGLOG_USE_GLOG_EXPORT")
        .file("src/autograd_name.cpp")
        .file("src/training/optim_ops.cpp")
        .compile("token_embeddings_autograd");
    println!("cargo:rerun-if-changed=src/autograd_name.cpp");
    println!("cargo:rerun-if-changed=src/training/optim_ops.cpp");
    println!("cargo:rerun-if-env-changed=LIBTORCH_CXX11_ABI");
}
