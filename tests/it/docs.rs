//! The documentation that is generated from code is up to date.

use ccgsim::model::Observation;
use ccgsim::scenario::schema;

#[test]
fn parameters_doc_matches_the_parameter_table() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/PARAMETERS.md"))
        .unwrap();
    assert!(
        doc == schema::markdown_table(),
        "docs/PARAMETERS.md is stale: regenerate with `cargo run --release -- params --markdown > docs/PARAMETERS.md`"
    );
}

#[test]
fn readme_documents_every_output_column() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for col in Observation::COLUMNS.iter().chain(&[
        "scenario",
        "replicate",
        "ccg",
        "practices",
        "month",
        "failed",
        "failed_month",
    ]) {
        assert!(
            readme.contains(&format!("`{col}`")),
            "README.md does not document column `{col}`"
        );
    }
}
