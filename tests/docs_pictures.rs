//! The pictures in `docs/` are made by netlab itself, with the commands README.md shows next to
//! them. Regenerating each must give the committed file byte for byte, so a change to a view or
//! to a scenario cannot leave a stale picture behind.

use std::path::Path;
use std::process::Command;

/// (the committed file, the netlab command that writes it, without `--svg FILE`).
const PICTURES: &[(&str, &str)] = &[
    (
        "docs/ladder-handshake.svg",
        "ladder scenarios/lessons/simplest-server.toml --hosts client,server",
    ),
    (
        "docs/tcp-seq.svg",
        "tcpgraph scenarios/lessons/tcp-vs-udp-lossy.toml --kind seq",
    ),
];

#[test]
fn docs_pictures_are_what_netlab_draws_now() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let dir = std::env::temp_dir().join(format!("netlab-docs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (file, args) in PICTURES {
        let shown = format!("netlab {args} --svg {file}");
        assert!(
            readme.contains(&shown),
            "README.md should show the command that makes {file}: `{shown}`"
        );
        assert!(
            readme.contains(&format!("]({file})")),
            "README.md should show the picture {file}"
        );
        let out = dir.join(Path::new(file).file_name().unwrap());
        let run = Command::new(env!("CARGO_BIN_EXE_netlab"))
            .args(args.split_whitespace())
            .arg("--svg")
            .arg(&out)
            .current_dir(root)
            .output()
            .unwrap();
        assert!(run.status.success(), "{shown}: {run:?}");
        let now = std::fs::read(&out).unwrap();
        let committed = std::fs::read(root.join(file)).unwrap();
        assert!(
            now == committed,
            "{file} is stale: regenerate it with `cargo run --release -- {args} --svg {file}`"
        );
    }
}
