//! Tests that run the `loggable` binary as a separate process (killed mid-way, racing
//! another) or use the benchmark data set: they live beside the command line.

#[allow(dead_code)]
#[path = "../../tests/suite/common.rs"]
mod common;

#[path = "processes/bench_data.rs"]
mod bench_data;
#[path = "processes/crash.rs"]
mod crash;
#[path = "processes/retention.rs"]
mod retention;
