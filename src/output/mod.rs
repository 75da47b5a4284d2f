//! Writing results: tidy CSV tables, a JSON manifest, all inside a result folder
//! that appears atomically.

pub mod manifest;
pub mod practices;
pub mod result_dir;
pub mod space;
pub mod tables;
pub mod verify;

pub use manifest::Manifest;
pub use result_dir::{FileInfo, HashedFile, ResultDir};
