// SPDX-License-Identifier: Apache-2.0
//! Tells the linker where kconv is. A folder named in KCONV_LIB_DIR wins over pkg-config, so that a caller
//! can pick one build among several installed ones; KCONV_STATIC=1 links the self-contained archive
//! libkconv_static.a instead of libkconv.so. Written with std only: CI builds offline, so no pkg-config crate.

use std::env;
use std::path::Path;
use std::process::{self, Command};

/// Libraries libkconv_static.a leaves to the final link (kconv_static.pc lists the same): it holds kconv
/// and Abseil, not the C and C++ runtimes.
const STATIC_RUNTIME_LIBS: [&str; 4] = ["stdc++", "dl", "pthread", "m"];

fn main() {
    for var in [
        "KCONV_LIB_DIR",
        "KCONV_STATIC",
        "PKG_CONFIG",
        "PKG_CONFIG_PATH",
        "PKG_CONFIG_LIBDIR",
    ] {
        println!("cargo:rerun-if-env-changed={}", var);
    }
    let found = link_static().and_then(|link_static| match env::var_os("KCONV_LIB_DIR") {
        Some(dir) => link_from_dir(Path::new(&dir), link_static),
        None => link_with_pkg_config(link_static),
    });
    if let Err(why) = found {
        // A plain message and exit status rather than a panic: this is the user's setup, not a bug here.
        eprintln!("error: kconv-sys cannot link the kconv library: {}", why);
        process::exit(1);
    }
}

/// KCONV_STATIC: "1" links the archive; unset, "" or "0" the shared library; anything else is a typo that
/// would otherwise silently pick the shared library.
fn link_static() -> Result<bool, String> {
    match env::var("KCONV_STATIC").as_deref() {
        Ok("1") => Ok(true),
        Ok("") | Ok("0") | Err(env::VarError::NotPresent) => Ok(false),
        Ok(other) => Err(format!(
            "KCONV_STATIC = {:?}: set it to 1 (static) or 0 (shared)",
            other
        )),
        Err(env::VarError::NotUnicode(_)) => Err("KCONV_STATIC is not UTF-8: set it to 1 or 0".to_string()),
    }
}

fn link_from_dir(dir: &Path, link_static: bool) -> Result<(), String> {
    let file = if link_static {
        "libkconv_static.a"
    } else {
        "libkconv.so"
    };
    // Checked here because the linker's own "cannot find -lkconv" does not say which variable to fix.
    if !dir.join(file).exists() {
        return Err(format!(
            "KCONV_LIB_DIR = {} holds no {}; set it to the folder holding {} (usually <prefix>/lib){}",
            dir.display(),
            file,
            file,
            if link_static {
                ", or unset KCONV_STATIC to link libkconv.so"
            } else {
                ""
            }
        ));
    }
    println!("cargo:rustc-link-search=native={}", dir.display());
    // Exported to dependents' build scripts as DEP_KCONV_LIB_DIR (e.g. to set an rpath).
    println!("cargo:lib_dir={}", dir.display());
    if link_static {
        println!("cargo:rustc-link-lib=static=kconv_static");
        for lib in STATIC_RUNTIME_LIBS {
            println!("cargo:rustc-link-lib=dylib={}", lib);
        }
    } else {
        println!("cargo:rustc-link-lib=dylib=kconv");
    }
    Ok(())
}

fn link_with_pkg_config(link_static: bool) -> Result<(), String> {
    let program = env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".to_string());
    let package = if link_static { "kconv_static" } else { "kconv" };
    let mut command = Command::new(&program);
    command.arg("--libs");
    if link_static {
        command.arg("--static"); // adds Libs.private, where a .pc file may list the C++ runtime
    }
    command.arg(package);
    let how_to_fix = format!(
        "To fix: set KCONV_LIB_DIR to the folder holding {} (usually <prefix>/lib), or add \
         <prefix>/lib/pkgconfig to PKG_CONFIG_PATH so that pkg-config finds {}.pc.",
        if link_static {
            "libkconv_static.a"
        } else {
            "libkconv.so"
        },
        package
    );
    let output = match command.output() {
        Ok(output) => output,
        Err(e) => {
            return Err(format!(
                "KCONV_LIB_DIR is not set, and `{}` could not run: {}.\n{}",
                program, e, how_to_fix
            ))
        }
    };
    if !output.status.success() {
        return Err(format!(
            "KCONV_LIB_DIR is not set, and `{} --libs {}` failed:\n{}\n{}",
            program,
            package,
            String::from_utf8_lossy(&output.stderr).trim(),
            how_to_fix
        ));
    }
    let flags = String::from_utf8_lossy(&output.stdout);
    for flag in flags.split_whitespace() {
        if let Some(dir) = flag.strip_prefix("-L") {
            println!("cargo:rustc-link-search=native={}", dir);
            println!("cargo:lib_dir={}", dir);
        } else if let Some(lib) = flag.strip_prefix("-l") {
            // Named static so that rustc insists on the archive rather than any libkconv_static.so.
            let kind = if link_static && lib == "kconv_static" {
                "static"
            } else {
                "dylib"
            };
            println!("cargo:rustc-link-lib={}={}", kind, lib);
        } else if flag == "-pthread" {
            println!("cargo:rustc-link-lib=dylib=pthread");
        } else {
            println!("cargo:warning=kconv-sys ignores the pkg-config flag {}", flag);
        }
    }
    if link_static {
        // Again after the archive, whatever kconv_static.pc lists: the archive needs them either way, and a
        // library named twice costs nothing.
        for lib in STATIC_RUNTIME_LIBS {
            println!("cargo:rustc-link-lib=dylib={}", lib);
        }
    }
    Ok(())
}
