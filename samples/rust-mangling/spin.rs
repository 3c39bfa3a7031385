// SPDX-License-Identifier: Apache-2.0
//
// spin: CPU-bound Rust with generics, a trait object and closures, built twice by the Makefile:
// rust-legacy (rustc's stable default, legacy `_ZN…17h<hash>E` symbols) and rust-v0
// (`-C symbol-mangling-version=v0`, `_R…` symbols).
//   main -> run -> drive::<closure> -> {closure} -> Mixer<u32>::churn   3 units per round (≈ 75 %)
//   main -> run -> <Squarer as Work>::work                                1 unit  per round (≈ 25 %)
// Usage: rust-v0 [SECONDS] (0 or absent: no limit). Prints "ready" once running.
use std::ptr;
use std::time::{Duration, Instant};

// A value the optimizer must compute and keep (std::hint::black_box is stable only since Rust
// 1.66; Debian 12's rustc is 1.63).
#[inline(always)]
fn black_box(x: u64) -> u64 {
    let mut slot = x;
    unsafe {
        ptr::write_volatile(&mut slot, x);
        ptr::read_volatile(&slot)
    }
}

struct Mixer<T> {
    seed: T,
}

impl<T: Copy + Into<u64>> Mixer<T> {
    #[inline(never)]
    fn churn(&self, rounds: u64) -> u64 {
        let mut x: u64 = self.seed.into();
        for i in 0..rounds {
            x = black_box(x.wrapping_mul(6364136223846793005).wrapping_add(i));
        }
        x
    }
}

trait Work {
    fn work(&self, rounds: u64) -> u64;
}

struct Squarer;

impl Work for Squarer {
    #[inline(never)]
    fn work(&self, rounds: u64) -> u64 {
        let mut x: u64 = 3;
        for i in 0..rounds {
            x = black_box(x.wrapping_mul(x).wrapping_add(i));
        }
        x
    }
}

#[inline(never)]
fn drive<F: Fn(u64) -> u64>(f: F, rounds: u64) -> u64 {
    black_box(f(rounds))
}

#[inline(never)]
fn run(seconds: f64) -> u64 {
    const UNIT: u64 = 2_000_000;
    let mixer = Mixer { seed: 7u32 };
    let worker: Box<dyn Work> = Box::new(Squarer);
    let end = Instant::now() + Duration::from_secs_f64(if seconds > 0.0 { seconds } else { 1e9 });
    let mut total = 0u64;
    while Instant::now() < end {
        total = total.wrapping_add(drive(|n| mixer.churn(n), 3 * UNIT));
        total = total.wrapping_add(worker.work(UNIT));
    }
    total
}

fn main() {
    let seconds: f64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0.0);
    println!("ready");
    black_box(run(seconds));
}
