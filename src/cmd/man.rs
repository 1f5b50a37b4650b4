//! `eks-kc man`: print one man page, or install them all (`cargo install` installs none).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::cli::ManArgs;
use crate::generate;

pub fn run(args: &ManArgs, out: &mut dyn Write) -> Result<()> {
    match &args.install {
        Some(dir) => {
            let dir = install_dir(dir);
            let pages = generate::man_pages()?;
            fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            for (name, page) in &pages {
                let path = dir.join(name);
                fs::write(&path, page).with_context(|| format!("writing {}", path.display()))?;
            }
            writeln!(
                out,
                "Installed {} man pages in {} (try `man eks-kc-sync`; if man does not find \
                 them, add {} to MANPATH).",
                pages.len(),
                dir.display(),
                dir.parent().unwrap_or(&dir).display()
            )?;
        }
        None => out.write_all(&generate::man_page_for(&args.command)?)?,
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
