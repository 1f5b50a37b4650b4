//! `eks-kc man`: print one man page, or install them all (`cargo install` installs none).

use std::ffi::OsStr;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::cli::ManArgs;
use crate::generate;
use crate::settings::env;

pub fn run(args: &ManArgs, out: &mut dyn Write) -> Result<()> {
    let Some(dir) = &args.install else {
        return Ok(out.write_all(&generate::man_page_for(&args.command)?)?);
    };
    let path_var = env::var_os("PATH").unwrap_or_default();
    let root = match dir {
        Some(dir) => dir.clone(),
        None => {
            let exe = std::env::current_exe().ok();
            let home = env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .map(PathBuf::from);
            let data = env::var_os("XDG_DATA_HOME").map(PathBuf::from);
            match default_root(exe.as_deref(), &path_var, home.as_deref(), data.as_deref()) {
                Some(root) => root,
                None => bail!(
                    "cannot tell where man looks for your pages (HOME is not set): name a \
                     directory, `{bin} man --install DIR`",
                    bin = crate::display::bin()
                ),
            }
        }
    };
    let dir = install_dir(&root);
    let pages = generate::man_pages()?;
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    for (name, page) in &pages {
        let path = dir.join(name);
        fs::write(&path, page).with_context(|| format!("writing {}", path.display()))?;
    }
    let root = dir.parent().unwrap_or(&dir);
    let manpath = env::var_os("MANPATH");
    let shown = crate::display::safe(&dir.display().to_string()).into_owned();
    write!(out, "Installed {} man pages in {shown}", pages.len())?;
    if man_searches(root, &path_var, manpath.as_deref()) {
        writeln!(out, "; `man eks-kc-sync` finds them.")?;
    } else {
        writeln!(
            out,
            "; man does not look there yet: add it to MANPATH, with a trailing `:` so the \
             system's pages stay found (in your shell's start-up file):\n  export \
             MANPATH=\"{}:\"",
            crate::display::safe(&root.display().to_string())
        )?;
    }
    Ok(())
}

/// Where `--install DIR` puts the pages: DIR/man1, or DIR itself when it already is a `man1`.
pub fn install_dir(dir: &Path) -> PathBuf {
    if dir.file_name().is_some_and(|n| n == "man1") {
        dir.to_path_buf()
    } else {
        dir.join("man1")
    }
}

/// Where `--install` without a directory puts the pages: where man looks for them for this
/// user. man (man-db, and macOS's) searches `BIN/../share/man` and `BIN/../man` for every
/// directory BIN on PATH; so, when this binary's directory is on PATH and inside HOME
/// (`~/.cargo/bin` after `cargo install`), the `share/man` beside it; else
/// `$XDG_DATA_HOME/man` or `~/.local/share/man` (found through `~/.local/bin` on PATH).
/// `None` without HOME.
pub fn default_root(
    exe: Option<&Path>,
    path_var: &OsStr,
    home: Option<&Path>,
    data_home: Option<&Path>,
) -> Option<PathBuf> {
    let home = home?;
    let beside = exe
        .and_then(Path::parent)
        .filter(|bin| bin.starts_with(home) && std::env::split_paths(path_var).any(|p| p == *bin))
        .and_then(Path::parent)
        .map(|prefix| prefix.join("share/man"));
    let data = data_home
        .filter(|d| d.is_absolute())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| home.join(".local/share"));
    Some(beside.unwrap_or_else(|| data.join("man")))
}

/// Whether man searches `root` (a directory holding man1/) with this PATH and MANPATH: named in
/// MANPATH, or, when MANPATH is unset or has an empty element (a leading or trailing `:`, which
/// adds the default path), derived from a PATH directory as `BIN/../share/man` or `BIN/../man`.
pub fn man_searches(root: &Path, path_var: &OsStr, manpath: Option<&OsStr>) -> bool {
    if let Some(manpath) = manpath.filter(|m| !m.is_empty()) {
        let entries: Vec<PathBuf> = std::env::split_paths(manpath).collect();
        if entries.iter().any(|e| e == root) {
            return true;
        }
        if !entries.iter().any(|e| e.as_os_str().is_empty()) {
            return false;
        }
    }
    std::env::split_paths(path_var).any(|bin| {
        bin.parent()
            .is_some_and(|prefix| prefix.join("share/man") == root || prefix.join("man") == root)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    #[test]
    fn pages_go_into_man1() {
        assert_eq!(
            install_dir(Path::new("/x/share/man")),
            Path::new("/x/share/man/man1")
        );
        assert_eq!(
            install_dir(Path::new("/x/share/man/man1")),
            Path::new("/x/share/man/man1")
        );
    }

    fn os(s: &str) -> OsString {
        OsString::from(s)
    }

    #[test]
    fn the_default_is_where_man_looks() {
        let home = Some(Path::new("/h"));
        let cargo = Some(Path::new("/h/.cargo/bin/eks-kc"));
        // Beside the binary, when its directory is on PATH and in HOME.
        let root = default_root(cargo, &os("/usr/bin:/h/.cargo/bin"), home, None);
        assert_eq!(root.as_deref(), Some(Path::new("/h/.cargo/share/man")));
        // Not on PATH (run by its path), or a system directory: the XDG one.
        let root = default_root(cargo, &os("/usr/bin"), home, None);
        assert_eq!(root.as_deref(), Some(Path::new("/h/.local/share/man")));
        let usr = Some(Path::new("/usr/bin/eks-kc"));
        let root = default_root(usr, &os("/usr/bin"), home, Some(Path::new("/d")));
        assert_eq!(root.as_deref(), Some(Path::new("/d/man")));
        let root = default_root(usr, &os("/usr/bin"), home, Some(Path::new("rel")));
        assert_eq!(root.as_deref(), Some(Path::new("/h/.local/share/man")));
        assert_eq!(default_root(cargo, &os("/h/.cargo/bin"), None, None), None);
    }

    #[test]
    fn man_searches_like_man_db() {
        let root = Path::new("/h/.local/share/man");
        assert!(man_searches(root, &os("/usr/bin:/h/.local/bin"), None));
        assert!(!man_searches(root, &os("/usr/bin:/h/.cargo/bin"), None));
        assert!(man_searches(
            Path::new("/h/.cargo/man"),
            &os("/h/.cargo/bin"),
            None
        ));
        // MANPATH without an empty element replaces the PATH-derived directories.
        let path = os("/h/.local/bin");
        assert!(!man_searches(root, &path, Some(&os("/usr/share/man"))));
        assert!(man_searches(root, &path, Some(&os("/usr/share/man:"))));
        assert!(man_searches(
            root,
            &os(""),
            Some(&os("/h/.local/share/man:"))
        ));
        assert!(man_searches(root, &path, Some(&os(""))));
    }
}
