use super::*;

#[test]
fn the_digest_follows_every_change_of_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let kube = tmp.path().join("config");
    let cache = tmp.path().join("cache");
    std::fs::write(
        &kube,
        "contexts:\n- name: a\n  context: {cluster: c, user: u}\ncurrent-context: a\n",
    )
    .unwrap();
    let first = load(Some(&kube), &cache).unwrap();
    assert_eq!(first.names, ["a"]);
    assert_eq!(load(Some(&kube), &cache).unwrap(), first);
    // Rewritten by someone else (same size, new content): noticed.
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(
        &kube,
        "contexts:\n- name: b\n  context: {cluster: c, user: u}\ncurrent-context: b\n",
    )
    .unwrap();
    let second = load(Some(&kube), &cache).unwrap();
    assert_eq!(second.names, ["b"]);
    assert_eq!(second.current.as_deref(), Some("b"));
    // A missing file is an empty kubeconfig.
    std::fs::remove_file(&kube).unwrap();
    assert!(load(Some(&kube), &cache).unwrap().names.is_empty());
}

fn digests(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |d| {
        d.flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
            .count()
    })
}

/// Sets `path`'s mtime to `ago` before now.
fn age(path: &Path, ago: Duration) {
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(SystemTime::now() - ago).unwrap();
}

/// Gives every digest in `cache` the stamp `kube` has now, as if the file had been
/// written again within the same tick of the filesystem clock, with the same size.
fn same_tick(cache: &Path, kube: &Path) {
    for e in std::fs::read_dir(cache).unwrap().flatten() {
        let text = std::fs::read_to_string(e.path()).unwrap();
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v["stamps"] = serde_json::to_value(vec![stamp(kube)]).unwrap();
        std::fs::write(e.path(), v.to_string()).unwrap();
    }
}

/// Whether a digest in `cache` holds fingerprints.
fn fingerprinted(cache: &Path) -> bool {
    std::fs::read_dir(cache).unwrap().flatten().any(|e| {
        let text = std::fs::read_to_string(e.path()).unwrap();
        !serde_json::from_str::<serde_json::Value>(&text).unwrap()["hashes"].is_null()
    })
}

#[test]
fn a_file_that_just_changed_is_never_trusted_to_its_stamp() {
    let tmp = tempfile::tempdir().unwrap();
    let kube = tmp.path().join("config");
    let cache = tmp.path().join("cache");
    let doc = |ctx: &str, ns: &str| {
        format!(
            "contexts:\n- name: {ctx}\n  context: {{cluster: c, user: u, namespace: {ns}}}\n\
             current-context: {ctx}\n"
        )
    };
    std::fs::write(&kube, doc("a", "x1")).unwrap();
    let first = load_prompt(Some(&kube), Some(&cache)).unwrap();
    assert_eq!(first.context.as_deref(), Some("a"));
    assert_eq!(first.namespace.as_deref(), Some("x1"));
    // Written just now: the digest kept holds the content's fingerprint, so a second write
    // within the same tick of the filesystem clock (same size, same inode, same mtime and
    // ctime: a stamp cannot tell) is seen. Such a write is made here by giving the digest
    // the stamp of the second write.
    assert_eq!(digests(&cache), 1);
    std::fs::write(&kube, doc("b", "x2")).unwrap();
    same_tick(&cache, &kube);
    let second = load_prompt(Some(&kube), Some(&cache)).unwrap();
    assert_eq!(second.context.as_deref(), Some("b"));
    assert_eq!(second.namespace.as_deref(), Some("x2"));
    // And the digest of "b" is served while it is the content.
    assert_eq!(load_prompt(Some(&kube), Some(&cache)).unwrap(), second);
    assert!(fingerprinted(&cache));
    // Once the file has settled, a reader that finds the same content drops the
    // fingerprint: the stamp vouches again.
    age(&kube, Duration::from_secs(10));
    same_tick(&cache, &kube);
    assert_eq!(load_prompt(Some(&kube), Some(&cache)).unwrap(), second);
    assert!(!fingerprinted(&cache));
    // Settled: kept, and served while the stamp holds.
    age(&kube, Duration::from_secs(10));
    assert_eq!(load_prompt(Some(&kube), Some(&cache)).unwrap(), second);
    assert_eq!(digests(&cache), 1);
    assert_eq!(load_prompt(Some(&kube), Some(&cache)).unwrap(), second);
    // kubectl rewriting it in place (same size, same inode) is a new mtime: seen.
    std::fs::write(&kube, doc("c", "x3")).unwrap();
    assert_eq!(
        load_prompt(Some(&kube), Some(&cache))
            .unwrap()
            .context
            .as_deref(),
        Some("c")
    );
    // No context: nothing to show.
    std::fs::write(&kube, "contexts: []\n").unwrap();
    assert_eq!(load_prompt(Some(&kube), None).unwrap(), Prompt::default());
}

#[test]
fn a_shell_of_its_own_keeps_its_digests_in_its_own_directory() {
    let cache = Path::new("/cache");
    let shell = PathBuf::from("/run/user/1/eks-kc/shells/shell-7-8/kubeconfig");
    let global = PathBuf::from("/home/me/.kube/config");
    assert_eq!(
        home(&[shell.clone(), global.clone()], Some(cache)),
        Some(PathBuf::from("/run/user/1/eks-kc/shells/shell-7-8"))
    );
    assert!(home(&[shell], None).is_some());
    assert_eq!(home(&[global], Some(cache)), Some(cache.to_path_buf()));
    assert_eq!(home(&[], None), None);
}
