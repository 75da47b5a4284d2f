//! Writing results: tidy CSV tables, a JSON manifest, all inside a result folder
//! that appears atomically.

pub mod format;
pub mod manifest;
#[cfg(feature = "parquet")]
pub mod parquet;
pub mod practices;
pub mod result_dir;
#[cfg(feature = "parquet")]
pub mod run_parquet;
pub mod space;
pub mod spare;
pub mod tables;
pub mod verify;

pub use format::Format;
pub use manifest::Manifest;
pub use result_dir::{FileInfo, HashedFile, ResultDir};
