//! The parts of the `loggable` command line that its benchmarks share: the benchmark data
//! set and measurements (`bench`).

pub mod bench;
