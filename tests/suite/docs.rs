//! The README and the docs stand alone: every relative link points at a file in the
//! repository.

use std::path::{Path, PathBuf};

/// The relative link targets of a Markdown text: `[text](target)`, anchors and web
/// addresses left out.
fn relative_links(markdown: &str) -> Vec<String> {
    let mut links = Vec::new();
    let mut rest = markdown;
    while let Some(start) = rest.find("](") {
        rest = &rest[start + 2..];
        let Some(end) = rest.find(')') else { break };
        let target = rest[..end].split('#').next().unwrap_or_default().trim();
        if !target.is_empty() && !target.contains("://") && !target.starts_with("mailto:") {
            links.push(target.to_owned());
        }
        rest = &rest[end..];
    }
    links
}

fn markdown_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            markdown_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "md") {
            found.push(path);
        }
    }
}

#[test]
fn every_link_in_the_readme_and_docs_points_into_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    markdown_files(&root.join("docs"), &mut files);
    let mut checked = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for link in relative_links(&text) {
            let target = file.parent().unwrap().join(&link);
            assert!(
                target.exists(),
                "{}: link to {link} goes nowhere",
                file.display()
            );
            let target = target.canonicalize().unwrap();
            assert!(
                target.starts_with(root.canonicalize().unwrap()),
                "{}: link to {link} leaves the repository",
                file.display()
            );
            checked += 1;
        }
    }
    assert!(checked > 0, "no links found: the scan is broken");
}

#[test]
fn the_link_scan_finds_relative_links_only() {
    let text = "[a](docs/x.md) [b](https://diesel.rs) [c](../out.md#part) [d](#anchor)";
    assert_eq!(relative_links(text), ["docs/x.md", "../out.md"]);
}
