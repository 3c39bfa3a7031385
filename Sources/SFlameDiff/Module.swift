// SPDX-License-Identifier: Apache-2.0
//
// SFlameDiff compares two profiles of the same program: a baseline (BEFORE) and a comparison
// (AFTER). It merges their folded stacks, decides whether to normalize the two totals, rolls
// per-stack changes up a call tree, compares every function's self and total share with a
// significance estimate, lists the stacks found in only one profile, checks regression rules
// (the CI gate) and writes the report as text, Markdown or JSON.
//
//   BEFORE                       AFTER                        ProfileDiff
//   main;parse 20                main;parse 40        ──►     parse   total 20.0% → 40.0%  +20.00 pts
//   main;render 30               main;render 30               render  total 30.0% → 30.0%   +0.00 pts
//   main;poll 50                 main;poll 30                 poll    total 50.0% → 30.0%  -20.00 pts
//
// Design constraints: the module is pure. It uses no FileManager, no Process, no clocks and no
// system calls (Glibc is imported for `erfc` only); values go in, values and text come out, and
// the same inputs always give the same output. It may import SFlameProfile only.
//
// Statistics: samples of one profile are treated as independent draws, which they are not
// (periodic sampling of a program that runs in phases is autocorrelated), so every p-value here
// is a guide, not a guarantee. The reports say so.
