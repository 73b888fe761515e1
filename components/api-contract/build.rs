//! Converts `openapi/openapi.yaml` (the source of the contract) to minified JSON in
//! `OUT_DIR`, with a strong entity tag derived from its bytes, so the component embeds
//! exactly the document in the repository and needs no YAML parser at run time.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;

fn main() {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi/openapi.yaml");
    println!("cargo::rerun-if-changed={}", source.display());
    let text = std::fs::read_to_string(&source)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", source.display()));
    let document: serde_json::Value = serde_yaml::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not valid YAML: {e}", source.display()));
    let json = serde_json::to_string(&document).expect("a YAML document serialises as JSON");
    let mut hasher = DefaultHasher::new();
    json.hash(&mut hasher);
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(Path::new(&out).join("openapi.json"), &json).expect("write openapi.json");
    std::fs::write(
        Path::new(&out).join("openapi.etag"),
        format!("\"{:016x}\"", hasher.finish()),
    )
    .expect("write openapi.etag");
}
